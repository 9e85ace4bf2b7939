"""Routes: venues."""

from fastapi import APIRouter

router = APIRouter(tags=["venues"])
