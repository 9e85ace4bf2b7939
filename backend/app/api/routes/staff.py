"""Routes: staff."""

from fastapi import APIRouter

router = APIRouter(tags=["staff"])
