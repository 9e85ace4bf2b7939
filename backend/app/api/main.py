"""Every router of the API, mounted under `API_V1_STR` by `app.main`."""

from fastapi import APIRouter

from app.api.routes import utils

api_router = APIRouter()
api_router.include_router(utils.router)
