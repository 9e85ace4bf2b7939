"""`GET /demo/images/{name}.svg`: the demo data's images, drawn by the app itself
(app/seed/images.py), so the demo works offline and depends on no outside host."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.core.errors import NotFound
from app.seed import images

router = APIRouter()

IMAGE_HEADERS = {
    "Cache-Control": "public, max-age=86400",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


@router.get("/demo/images/{name}.svg")
def demo_image(name: str) -> Response:
    svg = images.demo_image(name)
    if svg is None:
        raise NotFound("image")
    return Response(svg, media_type="image/svg+xml", headers=IMAGE_HEADERS)
