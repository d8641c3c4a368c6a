"""The web pages in Dutch or English: which one a request gets, and its translations.

The pages' English is the message id; Dutch comes from `api/locale/nl/LC_MESSAGES/messages.po`
(`make messages` extracts new texts into it). The API's JSON and errors stay English: they
are read by programs, and their texts are part of the contract.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from datetime import date
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from analyze import Term, missing_reason
from analyze.terms import explain_score
from analyze.wording import ENGLISH, N_, Wording
from api.errors import ServiceError
from transcribe.texts import Text

if TYPE_CHECKING:
    from api.service import Coverage, RecordingFilter

__all__ = [
    "COOKIE",
    "DEFAULT",
    "LANGUAGES",
    "LOCALE_DIR",
    "ROLE_GROUPS",
    "ROLE_NAMES",
    "SPOKEN_LANGUAGES",
    "STATUS_NAMES",
    "choose_language",
    "explainer",
    "failed_because",
    "page_context",
    "say",
    "translations",
    "wording",
]

LANGUAGES = {"en": "English", "nl": "Nederlands"}  # code -> the language's own name
DEFAULT = "en"
COOKIE = "ridealong_lang"  # a person's own choice, from the pages' language switch
LOCALE_DIR = resources.files("api") / "locale"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of `language` (English: the message ids themselves). The .po file is
    compiled in memory, so the repository holds no binary .mo files and no build step."""
    if language == DEFAULT or language not in LANGUAGES:
        return gettext.NullTranslations()
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def choose_language(setting: str, cookie: str | None, accept_language: str | None) -> str:
    """A person's choice (the cookie) first, then the server's setting, then what the
    browser prefers among the languages the pages have (`nl-NL,nl;q=0.9,en;q=0.8` → nl)."""
    if cookie in LANGUAGES:
        return str(cookie)
    if setting in LANGUAGES:
        return setting
    wanted: list[tuple[float, int, str]] = []
    for at, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and quality > 0:
            wanted.append((-quality, at, code))
    return min(wanted)[2] if wanted else DEFAULT


def say(error: Exception | Text, language: str, *, capital: bool = True) -> str:
    """An error for a page in the reader's language: a refusal of the service, an error of
    the transcriber, or a stored one (a Text); its message is looked up before its values
    go in, and so is a reason among the values. Anything else as it is.

    Messages are clauses ("the file is empty"): a page shows them as sentences, with a
    capital (unless they start with a value, such as a file's name: "notes.txt is not an
    audio file") and a full stop; with `capital` False, as the clause (it follows "a.wav: ")."""
    text = _text_of(error)
    message = _said(text, language)
    template = translations(language).gettext(text.message)
    if not capital:
        return message
    return sentence(capitalised(message) if template[:1].isalpha() else message)


def sentence(text: str) -> str:
    """A message as a page shows it: a sentence, with its full stop."""
    stripped = text.rstrip()
    return stripped if not stripped or stripped[-1] in ".?!…:”\"'" else f"{stripped}."


def capitalised(clause: str) -> str:
    """A clause as a sentence starts: its first letter a capital."""
    return clause[:1].upper() + clause[1:]


def _text_of(error: Exception | Text) -> Text:
    """The message and values of a refusal, a core error (its `.text`) or a stored Text."""
    if isinstance(error, ServiceError):
        return Text(error.message, error.values)
    if isinstance(error, Text):
        return error
    found = getattr(error, "text", None)  # TranscriptionError's
    return found if isinstance(found, Text) else Text(str(error))


def _said(error: Exception | Text, language: str) -> str:
    text = _text_of(error)
    message = translations(language).gettext(text.message)
    if not text.values:
        return message
    return message % {
        k: _said(v, language) if isinstance(v, Text | Exception) else v
        for k, v in text.values.items()
    }


def failed_because(english: str | None, stored: str | None, language: str) -> str:
    """A failed job's error for a page: the stored Text (message and values) in the
    reader's language; the English where none was stored (jobs that failed before it was)."""
    if stored:
        try:
            return say(Text.from_json(stored), language)
        except (ValueError, KeyError, TypeError):  # damaged: the English still says it
            pass
    return english or ""


def _number_writer(language: str) -> Callable[[float, int], str]:
    def number(value: float, decimals: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(value, format=pattern, locale=language))

    return number


@cache
def wording(language: str) -> Wording:
    """The analysis's sentences and the spreadsheets' headings in `language`: numbers as
    people there write them (1.234,5 in Dutch), texts from the catalogue."""
    if language == DEFAULT or language not in LANGUAGES:
        return ENGLISH
    catalog = translations(language)
    return Wording(catalog.gettext, catalog.ngettext, _number_writer(language))


def explainer(language: str) -> Callable[[Term], str]:
    """`explain(term)` for the pages: why a term ranks where it does, in the page's
    language (the API's `why` is the English one)."""
    words = wording(language)

    def explain(term: Term) -> str:
        if words is ENGLISH:
            return term.why
        return explain_score(
            term, term.role, term.general_language, unlisted=term.unlisted, wording=words
        )

    return explain


# Words the pages show for stored values (roles, job states); the values stay English.
ROLE_NAMES = {
    "customer": N_("customer"),
    "salesperson": N_("salesperson"),
    "other": N_("other"),
    "unknown": N_("no role"),
}
ROLE_GROUPS = {  # the report's tabs: everything one side said
    "customer": N_("Customers"),
    "salesperson": N_("Salespeople"),
    "other": N_("Others"),
    "unknown": N_("Without a role"),
}
SPOKEN_LANGUAGES = {"nl": N_("Dutch"), "en": N_("English")}  # a recording's language
STATUS_NAMES = {
    "queued": N_("queued"),
    "processing": N_("processing"),
    "done": N_("done"),
    "failed": N_("failed"),
}


@cache
def page_context(language: str) -> dict[str, Any]:
    """What every page's template needs for its language (built once per language; the
    i18n extension's `_` looks up `gettext` here)."""
    catalog = translations(language)
    words = wording(language)
    return {
        "role_names": {k: catalog.gettext(v) for k, v in ROLE_NAMES.items()},
        "status_names": {k: catalog.gettext(v) for k, v in STATUS_NAMES.items()},
        "role_groups": {k: catalog.gettext(v) for k, v in ROLE_GROUPS.items()},
        "spoken_names": {k: catalog.gettext(v) for k, v in SPOKEN_LANGUAGES.items()},
        "gettext": catalog.gettext,
        "ngettext": catalog.ngettext,
        "ui_language": language,
        "ui_languages": LANGUAGES,
        "explain": explainer(language),
        "num": words.number,
        "num_list": lambda values, decimals=0: "; ".join(words.number(v, decimals) for v in values),
        "missing_reason": lambda term: missing_reason(term, words),
        "failure": lambda r: failed_because(r.error, r.error_text_json, language),
        "day": lambda d: day(d, language),
        "month": lambda ym: _month(ym, language),
    }


def day(when: date, language: str) -> str:
    """A day as people write it: 2 nov 2026, Nov 2, 2026."""
    return str(format_date(when, "medium", locale=language))


def _month(year_month: str, language: str) -> str:
    """ "2026-11" as people write a month: nov 2026, Nov 2026."""
    try:
        year, month = (int(part) for part in year_month.split("-"))
        return str(format_date(date(year, month, 1), "LLL yyyy", locale=language))
    except ValueError:
        return year_month


def brief_basis(
    language: str, url: str | None, basis: Coverage, chosen: RecordingFilter
) -> list[str]:
    """What a page comparison's brief rests on: the page's address, and the conversations
    (how many, over which days, with which tag or word), in the reader's language."""
    words = wording(language)
    lines = [words.gettext("Page: %(url)s") % {"url": url}] if url else []
    if basis.first and basis.last:
        lines.append(
            words.ngettext(
                "Compared with %(n)s conversation, %(first)s to %(last)s",
                "Compared with %(n)s conversations, %(first)s to %(last)s",
                basis.recordings,
            )
            % {
                "n": basis.recordings,
                "first": day(basis.first, language),
                "last": day(basis.last, language),
            }
        )
    if chosen.tag:
        lines.append(words.gettext("Only conversations tagged “%(tag)s”") % {"tag": chosen.tag})
    if chosen.said:
        lines.append(
            words.gettext("Only conversations that mention “%(word)s”") % {"word": chosen.said}
        )
    return lines
