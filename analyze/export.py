"""Spreadsheet exports: the terms report and page suggestions as CSV and XLSX.

Transcript text is what customers said, so every text cell is written as text, never as a
formula: in XLSX each string cell is typed as a string (and marked quote-prefixed, so
editing it in Excel keeps it text); in CSV a cell that starts with =, +, -, @, a tab or a
carriage return gets a leading single quote, as OWASP's "CSV injection" page recommends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import ModuleType
from typing import Any

from analyze.questions import QuestionGroup
from analyze.suggest import PageSuggestions, csv_safe, formula_like, missing_reason
from analyze.terms import Quote, Term
from analyze.wording import ENGLISH, N_, Wording

__all__ = [
    "TERM_COLUMNS",
    "XLSX_MEDIA_TYPE",
    "suggestions_xlsx",
    "term_rows",
    "terms_csv",
    "terms_xlsx",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ROLES = ("customer", "salesperson", "unknown", "other")
TERM_COLUMNS = (  # the CSV's and the API's names; a spreadsheet for people may translate them
    N_("term"),
    N_("lemma"),
    N_("count"),
    N_("customer"),
    N_("salesperson"),
    N_("unknown"),
    N_("other"),
    N_("recordings"),
    N_("keyness"),
    N_("score"),
    N_("variants"),
    N_("first quote"),
    N_("quote recording"),
    N_("quote start (s)"),
    N_("quote recording title"),  # new columns go last: those before keep their places
    N_("quote recording day"),
)
_TERM_WIDTHS = (22, 20, 8, 10, 12, 10, 8, 11, 9, 9, 30, 70, 34, 14, 40, 12)  # characters
_MAX_WIDTH = 80  # characters; wider columns wrap instead
_QUOTES_PER_CELL = 3


@lru_cache(maxsize=1)
def _openpyxl() -> ModuleType:
    try:
        import openpyxl
    except ImportError as e:
        raise ImportError("XLSX export needs openpyxl: pip install openpyxl==3.1.5") from e
    return openpyxl


def term_rows(
    terms: Iterable[Term], sources: Mapping[str, tuple[str, date]] | None = None
) -> list[list[Any]]:
    """One row per term, in the order of `TERM_COLUMNS`; numbers stay numbers. `sources`
    (recording id -> title, day) names the recording of each first quote for a person."""
    sources = sources or {}
    rows: list[list[Any]] = []
    for t in terms:
        first: Quote | None = t.quotes[0] if t.quotes else None
        start_s = round(first.start, 2) if first is not None and first.start is not None else None
        title, said_on = sources.get(first.recording_id, ("", None)) if first else ("", None)
        rows.append(
            [
                t.term,
                t.lemma,
                t.count,
                *(t.count_by_role.get(role, 0) for role in _ROLES),
                t.recordings,
                round(t.keyness, 3),
                round(t.score, 4),
                "; ".join(t.variants),
                first.text if first is not None else "",
                first.recording_id if first is not None else "",
                start_s,
                title,
                said_on.isoformat() if said_on else "",
            ]
        )
    return rows


def terms_csv(terms: Sequence[Term], sources: Mapping[str, tuple[str, date]] | None = None) -> str:
    """The terms report as CSV, one row per term; text cells are made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TERM_COLUMNS)
    for row in term_rows(terms, sources):
        writer.writerow(["" if v is None else csv_safe(v) for v in row])
    return buffer.getvalue()


def terms_xlsx(
    terms: Sequence[Term],
    title: str = "Terms",
    sources: Mapping[str, tuple[str, date]] | None = None,
    wording: Wording = ENGLISH,
    questions: Sequence[QuestionGroup] = (),
) -> bytes:
    """The terms report as an XLSX workbook: a "Terms" sheet, and with `questions` (the
    customers' question groups) a "Questions" sheet, so one download hands over the week's
    words and what customers asked. `title` becomes the workbook's title and the printed
    page header (say which filters made the report). `wording` translates the sheets'
    names and headings (the web pages' reader's language)."""
    _ = wording.gettext
    header = [_(column) for column in TERM_COLUMNS]
    rows = term_rows(terms, sources)
    sheets = [_Sheet(_("Terms"), header, _TERM_WIDTHS, rows, wrap=(11,))]
    if questions:
        sheets.append(_questions_sheet(questions, _("Questions"), wording))
    return _workbook(sheets, title=title)


def _questions_sheet(groups: Sequence[QuestionGroup], name: str, wording: Wording) -> _Sheet:
    """Question groups, one row each: the question, how often and in how many conversations
    it was asked, and its other phrasings."""
    _ = wording.gettext
    return _Sheet(
        name,
        [_("question"), _("count"), _("recordings"), _("quotes")],
        (60, 8, 11, 80),
        [
            [g.question, g.count, g.recordings, _quotes(q.text for q in g.other_phrasings)]
            for g in groups
        ],
        wrap=(0, 3),
    )


def _quotes(texts: Iterable[str]) -> str:
    return "\n".join(list(texts)[:_QUOTES_PER_CELL])


def suggestions_xlsx(result: PageSuggestions, wording: Wording = ENGLISH) -> bytes:
    """Page suggestions as an XLSX workbook: "Missing terms", "Already on page", "Open
    questions", "Customers' words" (page words to replace) and "Jargon" sheets, for a marketer's
    spreadsheet or a copywriter's brief; `wording` translates names, headings and reasons."""
    _ = wording.gettext
    missing = [
        [
            s.term.term,
            s.term.count,
            s.term.count_by_role.get("customer", 0),
            s.term.recordings,
            s.reason if wording is ENGLISH else missing_reason(s.term, wording),
            _quotes(q.text for q in s.term.quotes),
        ]
        for s in result.missing_terms
    ]
    sheets = [
        _Sheet(
            _("Missing terms"),
            [
                _("term"),
                _("count"),
                _("customers' count"),
                _("recordings"),
                _("reason"),
                _("quotes"),
            ],
            (24, 8, 16, 11, 44, 80),
            missing,
            wrap=(5,),
        ),
        _Sheet(_("Already on page"), [_("term")], (30,), [[t] for t in result.present_terms]),
        _questions_sheet(result.questions, _("Open questions"), wording),
        _Sheet(
            _("Customers' words"),
            [
                _("page says"),
                _("customers say"),
                _("customers' count"),
                _("similarity"),
                _("quote"),
            ],
            (24, 24, 16, 11, 80),
            [
                [
                    r.page_words,
                    r.customer_term.term,
                    r.customer_count,
                    round(r.similarity, 3),
                    r.evidence.text if r.evidence else "",
                ]
                for r in result.replacements
            ],  # fmt: skip
            wrap=(4,),
        ),
        _Sheet(
            _("Jargon"),
            [_("page says"), _("count")],
            (30, 8),
            [[w.term, w.count] for w in result.jargon],
        ),
    ]
    description = _("coverage %(coverage)s/100; language %(language)s") % {
        "coverage": result.coverage,
        "language": result.language,
    }
    return _workbook(sheets, title=_("Page suggestions"), description=description)


@dataclass(frozen=True, slots=True)
class _Sheet:
    name: str
    header: Sequence[str]
    widths: Sequence[int]  # characters, one per column
    rows: Sequence[Sequence[Any]]
    wrap: Sequence[int] = ()  # 0-based columns whose text wraps


def _workbook(sheets: Sequence[_Sheet], *, title: str, description: str = "") -> bytes:
    openpyxl = _openpyxl()
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.title = _clean(title, ILLEGAL_CHARACTERS_RE)[:200]
    book.properties.description = description
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(spec.name)
        sheet.append(list(spec.header))
        for cell in sheet[1]:
            cell.font = bold
        for row, values in enumerate(spec.rows, start=2):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=column)
                if isinstance(value, str):
                    text = _clean(value, ILLEGAL_CHARACTERS_RE)
                    cell.value = text
                    cell.data_type = "s"  # never a formula or an error code ("=...", "#N/A")
                    if formula_like(text):
                        cell.quotePrefix = True  # Excel keeps it text when it is edited
                else:
                    cell.value = value
                if column - 1 in spec.wrap:
                    cell.alignment = wrapped
        for column, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(width, _MAX_WIDTH)
        sheet.freeze_panes = "A2"
        last = get_column_letter(len(spec.header))
        sheet.auto_filter.ref = f"A1:{last}{len(spec.rows) + 1}"
        # printed page header; "&" starts a header code there, "&&" is a literal one
        sheet.oddHeader.center.text = _clean(title, ILLEGAL_CHARACTERS_RE)[:200].replace("&", "&&")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _clean(text: str, illegal: Any) -> str:
    """Text an XLSX cell can hold: control characters out, at most 32,767 characters."""
    return str(illegal.sub("", text))[:32767]
