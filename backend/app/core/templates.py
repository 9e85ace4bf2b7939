"""The Jinja2 templates of the app (`app/templates/`): one environment per folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@lru_cache
def environment(folder: str = "") -> Environment:
    """Templates of `app/templates/{folder}`, HTML autoescaped."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / folder),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
