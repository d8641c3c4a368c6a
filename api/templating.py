"""Jinja2 set-up shared by the web pages and the CLI's HTML export (autoescaped)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment
from markupsafe import Markup

__all__ = ["clock", "export_environment", "spelled", "templates"]

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


def spelled(segment: Any) -> Markup:
    """A segment's text with the words spelling.py corrected marked, Whisper's letters in
    their title, so a reader can check a correction against what was heard."""
    words = getattr(segment, "words", ())
    text = str(segment.text)
    if not any(w.heard for w in words) or "".join(w.word for w in words).strip() != text.strip():
        return Markup.escape(text)
    parts = []
    for w in words:
        spoken = w.word.lstrip()
        space = w.word[: len(w.word) - len(spoken)]
        if w.heard:
            parts.append(
                Markup('{}<span class="heard" title="heard: {}">{}</span>').format(
                    space, w.heard.strip(), spoken
                )
            )
        else:
            parts.append(Markup.escape(w.word))
    return Markup("").join(parts).strip()


def csrf_field(request: Any) -> Markup:
    """The hidden CSRF input every POST form carries when the pages are signed in
    (api/websession.py); nothing when they are open."""
    state = getattr(request, "state", None)
    token = getattr(state, "csrf", "") if state is not None else ""
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


def _configure(env: Environment) -> Environment:
    env.filters["clock"] = clock
    env.filters["spelled"] = spelled
    env.globals["csrf_field"] = csrf_field
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
