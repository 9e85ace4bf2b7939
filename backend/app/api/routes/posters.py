"""Routes: posters."""

from fastapi import APIRouter

router = APIRouter(tags=["posters"])
