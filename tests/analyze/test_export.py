"""Spreadsheet exports: sheets, headers and content; transcript text never becomes a formula."""

import csv
import io
import zipfile

import pytest

from analyze import (
    PageSuggestions,
    Question,
    QuestionGroup,
    Quote,
    SuggestedTerm,
    Term,
    suggestions_csv,
)
from analyze.export import (
    TERM_COLUMNS,
    XLSX_MEDIA_TYPE,
    suggestions_xlsx,
    terms_csv,
    terms_xlsx,
)

openpyxl = pytest.importorskip("openpyxl")

# What a prankster, or a transcription of one, could put at the start of a sentence.
FORMULAS = [
    '=HYPERLINK("http://evil.example","klik")',
    "+31 6 1234 5678 belt u mij?",
    "-2+3 zonnepanelen",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
]


def _term(term: str, quotes: list[str], *, customer: int = 3, salesperson: int = 1) -> Term:
    return Term(
        term=term,
        lemma=term.lower(),
        count=customer + salesperson,
        count_by_role={"customer": customer, "salesperson": salesperson},
        score=12.34567,
        variants=(term, term + "s"),
        quotes=tuple(
            Quote(f"rec-{i}", 1.5 + i, 3.0 + i, q, "customer") for i, q in enumerate(quotes)
        ),
        recordings=2,
        keyness=-1.23456,
    )


TERMS = [
    _term("thuisbatterij", ["Wat kost een thuisbatterij?", "Is een thuisbatterij nodig?"]),
    *(_term(f"woord{i}", [text]) for i, text in enumerate(FORMULAS)),
    _term("stilte", [], customer=0, salesperson=2),
]


def _suggestions() -> PageSuggestions:
    question = QuestionGroup(
        question="=1+2 Werkt vloerverwarming met een warmtepomp?",
        count=3,
        recordings=2,
        keywords=("vloerverwarming",),
        quotes=(
            Question("rec-1", "=1+2 Werkt vloerverwarming met een warmtepomp?", "customer"),
            Question("rec-2", "=1+2 Gaat vloerverwarming samen met een warmtepomp?", "customer"),
        ),
    )
    missing = tuple(SuggestedTerm(t, f"customers said it {i}x") for i, t in enumerate(TERMS[:-1]))
    return PageSuggestions(
        language="nl",
        coverage=42,
        missing_terms=missing,
        present_terms=("zonnepanelen", "@dak"),
        page_words=12,
        questions=(question,),
    )


def _book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _no_formulas_in(data: bytes) -> None:
    """No cell of any sheet is stored as a formula (an <f> element) in the file itself."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml, name


def _check_layout(sheet, header: list[str]) -> None:
    assert [c.value for c in sheet[1]] == header
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{sheet.max_row}"
    assert all(sheet.column_dimensions[c.column_letter].width > 5 for c in sheet[1])


def test_suggestions_workbook_has_the_three_sheets_with_their_content() -> None:
    data = suggestions_xlsx(_suggestions())
    assert data[:2] == b"PK"  # a zip, as every XLSX is
    book = _book(data)
    assert book.sheetnames == [
        "Missing terms",
        "Already on page",
        "Open questions",
        "Customers' words",
        "Jargon",
    ]
    missing = book["Missing terms"]
    _check_layout(missing, ["term", "count", "customers' count", "recordings", "reason", "quotes"])
    rows = list(missing.iter_rows(min_row=2, values_only=True))
    assert rows[0] == (
        "thuisbatterij",
        4,
        3,
        2,
        "customers said it 0x",
        "Wat kost een thuisbatterij?\nIs een thuisbatterij nodig?",
    )
    assert len(rows) == len(TERMS) - 1
    present = book["Already on page"]
    _check_layout(present, ["term"])
    assert [r[0] for r in present.iter_rows(min_row=2, values_only=True)] == [
        "zonnepanelen",
        "@dak",
    ]
    questions = book["Open questions"]
    _check_layout(questions, ["question", "count", "recordings", "quotes"])
    assert questions["A2"].value == "=1+2 Werkt vloerverwarming met een warmtepomp?"
    assert questions["A2"].data_type == "s" and questions["B2"].value == 3


def test_suggestions_workbook_keeps_formula_looking_quotes_as_text() -> None:
    data = suggestions_xlsx(_suggestions())
    _no_formulas_in(data)
    sheet = _book(data)["Missing terms"]
    quotes = {row[0].value: row[5] for row in sheet.iter_rows(min_row=2)}
    for i, text in enumerate(FORMULAS):
        cell = quotes[f"woord{i}"]
        assert cell.value == text and cell.data_type == "s"
        assert cell.quotePrefix  # Excel keeps it text when someone edits the cell


def test_suggestions_csv_defuses_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(suggestions_csv(_suggestions()))))
    quotes = {r["text"]: r["quote"] for r in rows if r["kind"] == "missing term"}
    for i, text in enumerate(FORMULAS):
        assert quotes[f"woord{i}"] == "'" + text
    assert quotes["thuisbatterij"] == "Wat kost een thuisbatterij?"  # plain text untouched
    question = next(r for r in rows if r["kind"] == "open question")
    assert question["text"].startswith("'=1+2") and question["quote"].startswith("'=1+2")
    assert question["quote"] == "'=1+2 Gaat vloerverwarming samen met een warmtepomp?"  # not itself
    assert question["count"] == "3"


def test_terms_csv_has_a_row_per_term_with_counts_per_role_and_the_first_quote() -> None:
    rows = list(csv.reader(io.StringIO(terms_csv(TERMS))))
    assert tuple(rows[0]) == TERM_COLUMNS
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["term"] for r in table] == [t.term for t in TERMS]
    first = table[0]
    assert first["lemma"] == "thuisbatterij" and first["count"] == "4"
    assert (first["customer"], first["salesperson"], first["unknown"], first["other"]) == (
        "3",
        "1",
        "0",
        "0",
    )
    assert first["recordings"] == "2" and first["variants"] == "thuisbatterij; thuisbatterijs"
    assert first["keyness"] == "-1.235"  # a negative number stays a number
    assert first["score"] == "12.3457"
    assert first["first quote"] == "Wat kost een thuisbatterij?"
    assert (first["quote recording"], first["quote start (s)"]) == ("rec-0", "1.5")
    assert {table[1 + i]["first quote"] for i in range(len(FORMULAS))} == {
        "'" + text for text in FORMULAS
    }
    silent = table[-1]
    assert (silent["first quote"], silent["quote recording"], silent["quote start (s)"]) == (
        "",
        "",
        "",
    )


def test_terms_workbook_has_typed_cells_and_no_formulas() -> None:
    data = terms_xlsx(TERMS, "ridealong terms — customer & salesperson")
    _no_formulas_in(data)
    book = _book(data)
    assert book.sheetnames == ["Terms"]
    assert book.properties.title == "ridealong terms — customer & salesperson"
    sheet = book["Terms"]
    _check_layout(sheet, list(TERM_COLUMNS))
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(TERMS)
    assert rows[0][:8] == ("thuisbatterij", "thuisbatterij", 4, 3, 1, 0, 0, 2)
    assert rows[0][8] == pytest.approx(-1.235) and rows[0][13] == pytest.approx(1.5)
    by_term = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for i, text in enumerate(FORMULAS):
        cell = by_term[f"woord{i}"][11]
        assert cell.value == text and cell.data_type == "s"
    assert by_term["stilte"][11].value is None or by_term["stilte"][11].value == ""


def test_control_characters_are_dropped_not_fatal() -> None:
    bell = _term("bel", ["Ding\x07 dong\x00 hallo?"])
    sheet = _book(terms_xlsx([bell]))["Terms"]
    assert sheet["L2"].value == "Ding dong hallo?"


def test_empty_exports_still_have_headers() -> None:
    assert terms_csv([]).splitlines() == [",".join(TERM_COLUMNS)]
    book = _book(terms_xlsx([], "none"))
    assert [c.value for c in book["Terms"][1]] == list(TERM_COLUMNS)
    empty = PageSuggestions("nl", 0, (), (), 0)
    assert _book(suggestions_xlsx(empty)).sheetnames == [
        "Missing terms",
        "Already on page",
        "Open questions",
        "Customers' words",
        "Jargon",
    ]


def test_a_missing_openpyxl_says_how_to_install_it(monkeypatch) -> None:
    import sys

    from analyze import export

    export._openpyxl.cache_clear()
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now fails
    try:
        with pytest.raises(ImportError, match="pip install openpyxl"):
            terms_xlsx(TERMS)
    finally:
        export._openpyxl.cache_clear()


def test_media_type() -> None:
    assert XLSX_MEDIA_TYPE == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
