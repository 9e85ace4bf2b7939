"""Routes: menus."""

from fastapi import APIRouter

router = APIRouter(tags=["menus"])
