"""Jinja2 set-up shared by the web pages and the CLI's HTML export (autoescaped)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from analyze.synonyms import shown_form
from analyze.wording import N_
from api.i18n import COOKIE as LANGUAGE_COOKIE
from api.i18n import DEFAULT, capitalised, choose_language, page_context, sentence

__all__ = [
    "clock",
    "export_environment",
    "page_language",
    "VARY_BY_LANGUAGE",
    "render_page",
    "spelled",
    "templates",
]

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


def spelled(segment: Any, heard_label: str = "heard") -> Markup:
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
                Markup('{}<span class="heard" title="{}: {}">{}</span>').format(
                    space, heard_label, w.heard.strip(), spoken
                )
            )
        else:
            parts.append(Markup.escape(w.word))
    return Markup("").join(parts).strip()


# How a consent was confirmed, as it is recorded (in English), and as a page says it.
_CONFIRMED_BY = (
    ("web form from ", N_("the upload form, from %(where)s")),
    ("web page from ", N_("the recording page, from %(where)s")),
    ("API key ", N_("API key %(where)s")),
)


def consent_source(recorded: str | None) -> tuple[str, str]:
    """(message, where) for who confirmed a consent: a page translates the message and puts
    `where` in ("web form from 10.0.0.7" reads "het uploadformulier, vanaf 10.0.0.7")."""
    for prefix, message in _CONFIRMED_BY:
        if recorded and recorded.startswith(prefix):
            return message, recorded[len(prefix) :]
    return "%(where)s", recorded or ""


def csrf_field(request: Any) -> Markup:
    """The hidden CSRF input every POST form carries when the pages are signed in
    (api/websession.py); nothing when they are open."""
    state = getattr(request, "state", None)
    token = getattr(state, "csrf", "") if state is not None else ""
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.filters["clock"] = clock
    env.filters["spelled"] = spelled
    env.filters["shown"] = shown_form  # a verb by its infinitive
    env.filters["sentence"] = lambda clause: sentence(capitalised(str(clause)))
    env.globals["csrf_field"] = csrf_field
    env.globals["consent_source"] = consent_source
    env.globals.update(page_context(DEFAULT))  # English, unless a request chooses (below)
    return env


def page_language(request: Request) -> str:
    """The language the reader chose, or their browser prefers (api/i18n.py)."""
    app_state = getattr(request.app.state, "ridealong", None)
    setting = app_state.settings.ui_language if app_state is not None else "auto"
    return choose_language(
        setting, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def _page_language(request: Request) -> dict[str, Any]:
    """Each page in the language its reader chose, or their browser prefers."""
    return {**page_context(page_language(request)), "language_return": _return_path(request)}


def _return_path(request: Request) -> str:
    """Where the language switch brings a reader back to: this page, or after a form was
    sent, the page the form is on (a POST address cannot be opened again)."""
    path = request.url.path
    if request.method == "GET":
        return path + (f"?{request.url.query}" if request.url.query else "")
    if path in ("/suggest", "/voices"):
        return path
    if path.startswith("/recordings/"):
        return "/recordings/" + path.split("/")[2]
    return "/"


templates = Jinja2Templates(env=_environment(), context_processors=[_page_language])


VARY_BY_LANGUAGE = "Accept-Language, Cookie"  # what chooses a reader's language


def render_page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page, marked as depending on the reader's language (a shared cache must not give
    a Dutch reader the English page)."""
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Vary"] = VARY_BY_LANGUAGE
    return response


def export_environment(language: str = DEFAULT) -> Environment:
    """The CLI's HTML export, in `language` (nl or en)."""
    env = _environment()
    env.globals.update(page_context(language))
    return env


def stylesheet() -> str:
    return (STATIC_DIR / "style.css").read_text(encoding="utf-8")
