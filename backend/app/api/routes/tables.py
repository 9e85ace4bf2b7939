"""Routes: tables."""

from fastapi import APIRouter

router = APIRouter(tags=["tables"])
