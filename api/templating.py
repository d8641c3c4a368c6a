"""Jinja2 set-up shared by the web pages and the CLI's HTML export (autoescaped)."""

from __future__ import annotations

from importlib import resources

from fastapi.templating import Jinja2Templates
from jinja2 import Environment

__all__ = ["clock", "export_environment", "templates"]

TEMPLATE_DIR = resources.files("api") / "templates"
STATIC_DIR = resources.files("api") / "static"


def clock(seconds: float | None) -> str:
    """0:42 or 1:02:03, for people."""
    if seconds is None:
        return ""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _configure(env: Environment) -> Environment:
    env.filters["clock"] = clock
    return env


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
_configure(templates.env)


def export_environment() -> Environment:
    from jinja2 import FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(default=True)
    )
    return _configure(env)


def stylesheet() -> str:
    return (STATIC_DIR / "style.css").read_text(encoding="utf-8")
