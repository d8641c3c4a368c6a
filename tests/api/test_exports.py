"""Spreadsheet exports over HTTP: terms report (API and web page) and page suggestions."""

import csv
import html
import io
import json
import re
from datetime import date

import pytest

from api import service
from api.db import Recording, Status, get_database, utcnow
from api.demo import prepare_demo
from transcribe import Segment, Speaker, Transcript

openpyxl = pytest.importorskip("openpyxl")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HYPERLINK = '=HYPERLINK("http://evil.example","klik") De vloerverwarming in de woonkamer is oud.'
QUESTION = "=1+2 Werkt vloerverwarming ook met een warmtepomp?"


def add_recording(settings, recording_id: str, customer: str, lines) -> None:
    """A processed recording from (role, text) lines, analysed like a transcribed one."""
    segments, start = [], 0.0
    for role, text in lines:
        segments.append(
            Segment(start, start + 4.0, text, "S1" if role == "salesperson" else "S2", role)
        )
        start += 5.0
    transcript = Transcript(
        "nl",
        start,
        "test",
        tuple(segments),
        (Speaker("S1", "salesperson"), Speaker("S2", "customer")),
    )
    with get_database(settings.sqlalchemy_url).session() as session:
        session.add(
            Recording(
                id=recording_id,
                title="Vloerverwarming",
                salesperson="Mark",
                customer=customer,
                recorded_at=date(2026, 11, 3),
                filename="jansen.wav",
                size_bytes=0,
                duration_s=start,
                language_requested="nl",
                language="nl",
                model="test",
                status=Status.done,
                progress=1.0,
                attempts=0,
                consent=True,
                consent_at=utcnow(),
                transcript_json=json.dumps(transcript.to_dict(), ensure_ascii=False),
            )
        )
        session.commit()
        assert service.reanalyze(session, recording_id) == 1


@pytest.fixture
def data(api_client, settings):
    """The demo (De Vries: thuisbatterij; Bakker: warmtepomp) and Jansen, whose customer
    starts sentences with formulas."""
    client, _ = api_client
    prepare_demo(settings)
    add_recording(
        settings,
        "jansen",
        "Jansen",
        [
            ("salesperson", "Goedemiddag mevrouw Jansen."),
            ("customer", HYPERLINK),
            ("salesperson", "Dan kijken we naar de vloerverwarming."),
            ("customer", QUESTION),
            ("customer", "+31 zei de installateur, is vloerverwarming duur?"),
        ],
    )
    return client


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _sheet_rows(content: bytes, sheet: str = "Terms") -> list[dict]:
    rows = list(openpyxl.load_workbook(io.BytesIO(content))[sheet].iter_rows())
    header = [c.value for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_terms_json_is_unchanged_by_the_export_formats(data) -> None:
    body = data.get("/api/v1/terms", params={"limit": 5}).json()
    assert set(body) == {"terms"} and len(body["terms"]) == 5
    assert set(body["terms"][0]) >= {"term", "count_by_role", "quotes", "keyness"}
    assert data.get("/api/v1/terms", params={"format": "pdf"}).status_code == 422


def test_terms_csv_export_through_the_api(data) -> None:
    response = data.get("/api/v1/terms", params={"format": "csv", "limit": 500})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="terms.csv"'
    rows = {r["term"]: r for r in _rows(response.text)}
    json_terms = data.get("/api/v1/terms", params={"limit": 500}).json()["terms"]
    assert list(rows) == [t["term"] for t in json_terms]  # same terms, same order
    floor = rows["vloerverwarming"]
    assert floor["count"] == "4" and floor["customer"] == "3" and floor["salesperson"] == "1"
    for term in json_terms:
        row = rows[term["term"]]
        assert int(row["count"]) == term["count"] and float(row["score"]) == term["score"]
        for role in ("customer", "salesperson", "unknown", "other"):
            assert int(row[role]) == term["count_by_role"].get(role, 0)
        quote = term["quotes"][0]
        assert row["quote recording"] == quote["recording_id"]
        assert float(row["quote start (s)"]) == pytest.approx(quote["start"], abs=0.01)
    assert floor["first quote"] == "'" + HYPERLINK  # a spreadsheet will not run it
    assert floor["quote recording"] == "jansen" and floor["quote start (s)"] == "5.0"
    assert floor["quote recording title"] == "Vloerverwarming"  # for a person, beside the id
    assert floor["quote recording day"] == "2026-11-03"  # which week's conversation it was
    assert "thuisbatterij" in rows and "warmtepomp" in rows


def test_terms_xlsx_export_honours_the_filters(data) -> None:
    response = data.get("/api/v1/terms", params={"format": "xlsx", "customer": "jans"})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="terms.xlsx"'
    rows = {r["term"].value: r for r in _sheet_rows(response.content)}
    quote = rows["vloerverwarming"]["first quote"]
    assert quote.value == HYPERLINK and quote.data_type == "s"
    assert rows["vloerverwarming"]["quote recording"].value == "jansen"
    assert rows["vloerverwarming"]["quote recording title"].value == "Vloerverwarming"
    assert "thuisbatterij" not in rows  # said only in De Vries's recording
    bakker = data.get("/api/v1/terms", params={"format": "xlsx", "customer": "bakker"})
    terms = {r["term"].value for r in _sheet_rows(bakker.content)}
    assert "warmtepomp" in terms
    assert "vloerverwarming" not in terms and "thuisbatterij" not in terms
    role = data.get("/api/v1/terms", params={"format": "csv", "role": "salesperson"})
    assert all(r["salesperson"] != "0" for r in _rows(role.text))
    limited = data.get("/api/v1/terms", params={"format": "csv", "limit": 3})
    assert len(_rows(limited.text)) == 3


def test_the_api_export_needs_a_key(data) -> None:
    response = data.get("/api/v1/terms", params={"format": "csv"}, headers={"Authorization": ""})
    assert response.status_code == 401


def test_report_page_links_to_exports_with_its_filters(data) -> None:
    page = data.get(
        "/report", params={"role": "customer", "since": "2026-11-01", "customer": "Bakker"}
    ).text
    links = re.findall(r'href="(/report/export\.(?:csv|xlsx)[^"]*)"', page)
    xlsx_link, csv_link = (html.unescape(link) for link in links)
    assert [xlsx_link.split("?")[0], csv_link.split("?")[0]] == [
        "/report/export.xlsx",
        "/report/export.csv",
    ]
    assert "Download for Excel</a> (XLSX)" in page and ">CSV</a>" in page
    query = "role=customer&since=2026-11-01&customer=Bakker"
    assert all(html.unescape(link).endswith("?" + query) for link in links)

    # The page uses no API key, and neither do its downloads.
    anonymous = {"Authorization": ""}
    csv_export = data.get(csv_link, headers=anonymous)
    assert csv_export.status_code == 200
    today = date.today().isoformat()  # the pages' downloads carry their day
    assert (
        csv_export.headers["content-disposition"]
        == f'attachment; filename="terms-customers-{today}.csv"'
    )
    terms = {r["term"] for r in _rows(csv_export.text)}
    assert "warmtepomp" in terms
    assert "thuisbatterij" not in terms and "vloerverwarming" not in terms
    xlsx_export = data.get(xlsx_link, headers=anonymous)
    assert xlsx_export.headers["content-type"] == XLSX
    assert {r["term"].value for r in _sheet_rows(xlsx_export.content)} == terms
    book = openpyxl.load_workbook(io.BytesIO(xlsx_export.content))
    assert "customer Bakker" in book.properties.title and "customer" in book.properties.title


def test_report_export_without_filters_covers_everything(data) -> None:
    plain = data.get("/report", params={"role": "all"}).text
    assert 'href="/report/export.csv"' in plain and 'href="/report/export.xlsx"' in plain
    terms = {r["term"] for r in _rows(data.get("/report/export.csv").text)}
    assert {"thuisbatterij", "warmtepomp", "vloerverwarming"} <= terms
    api = data.get("/api/v1/terms", params={"format": "csv", "limit": 200}).text
    assert data.get("/report/export.csv").text == api  # the same service, the same rows
    assert data.get("/report/export.pdf").status_code == 422


def test_suggestions_as_xlsx_through_the_api_and_the_form(data) -> None:
    page = {"html": "<h1>Zonnepanelen</h1><p>Wij leggen panelen op elk dak.</p>"}
    result = data.post("/api/v1/suggestions", json=page).json()
    response = data.post("/api/v1/suggestions", params={"format": "xlsx"}, json=page)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="page-suggestions.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Missing terms",
        "Already on page",
        "Open questions",
        "Customers' words",
        "Jargon",
    ]
    missing = {r["term"].value: r for r in _sheet_rows(response.content, "Missing terms")}
    assert list(missing) == [t["term"] for t in result["missing_terms"]]
    assert "vloerverwarming" in missing
    quotes = missing["vloerverwarming"]["quotes"]
    assert quotes.value.startswith(HYPERLINK) and quotes.data_type == "s"
    present = [r["term"].value for r in _sheet_rows(response.content, "Already on page")]
    assert present == result["present_terms"] and "zonnepanelen" in present
    questions = {r["question"].value: r for r in _sheet_rows(response.content, "Open questions")}
    assert list(questions) == [q["question"] for q in result["questions"]]
    assert QUESTION in questions and questions[QUESTION]["question"].data_type == "s"

    form = data.post(
        "/suggest", data={"page_copy": page["html"], "is_html": "true", "export": "xlsx"}
    )
    assert form.headers["content-type"] == XLSX
    dated = f'attachment; filename="page-suggestions-{date.today().isoformat()}.xlsx"'
    assert form.headers["content-disposition"] == dated
    assert [
        [c.value for c in row]
        for row in openpyxl.load_workbook(io.BytesIO(form.content))["Missing terms"].iter_rows()
    ] == [[c.value for c in row] for row in book["Missing terms"].iter_rows()]
    shown = data.post("/suggest", data={"page_copy": page["html"], "is_html": "true"}).text
    assert 'name="export" value="xlsx"' in shown


def test_suggestions_csv_defuses_formulas(data) -> None:
    page = {"text": "Wij leggen zonnepanelen."}
    rows = _rows(data.post("/api/v1/suggestions", params={"format": "csv"}, json=page).text)
    by_text = {r["text"]: r for r in rows}
    assert by_text["vloerverwarming"]["quote"] == "'" + HYPERLINK
    assert "'" + QUESTION in by_text and QUESTION not in by_text
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_a_transcript_download_names_the_file_and_the_people_as_the_page_does(
    data, settings
) -> None:
    with get_database(settings.sqlalchemy_url).session() as session:
        service.get_recording(session, "jansen").title = "Vloerverwarming één"
        service.get_recording(session, "jansen").customer = "Fam. IJsselmeer"
        session.commit()
    page = data.get("/recordings/jansen").text
    assert "Fam. IJsselmeer" in page and "Mark" in page  # named at upload, shown on the page
    text = data.get("/recordings/jansen/transcript.txt")
    assert text.headers["content-disposition"] == (
        'attachment; filename="Vloerverwarming een.txt"; '
        "filename*=UTF-8''Vloerverwarming%20%C3%A9%C3%A9n.txt"
    )
    lines = text.text.splitlines()
    assert lines[0] == "Mark, salesperson (S1): Goedemiddag mevrouw Jansen."
    assert lines[1].startswith("Fam. IJsselmeer, customer (S2): ")
    srt = data.get("/recordings/jansen/transcript.srt").text
    assert "Fam. IJsselmeer, customer (S2): " in srt
    dutch = {"Accept-Language": "nl"}  # a Dutch page's download says the roles in Dutch
    assert data.get("/recordings/jansen/transcript.txt", headers=dutch).text.splitlines()[:2] == [
        "Mark, verkoper (S1): Goedemiddag mevrouw Jansen.",
        lines[1].replace(", customer (S2): ", ", klant (S2): "),
    ]
    assert (
        "<v Fam. IJsselmeer, klant>"
        in data.get("/recordings/jansen/transcript.vtt", headers=dutch).text
    )
    stored = data.get("/recordings/jansen/transcript.json").json()  # the data as stored
    assert {s["id"]: s["name"] for s in stored["speakers"]} == {"S1": None, "S2": None}


def test_the_report_opens_on_the_customers_words(data) -> None:
    """The report is about what customers say: it opens on their tab, and "Everyone" is
    one click away (the salespeople's words would otherwise top it)."""
    opened = data.get("/report").text
    active = re.search(r'<a href="([^"]*)" class="active" aria-current="page">([^<]*)<', opened)
    assert active and active.group(1) == "/report?role=customer"
    customers = data.get("/report", params={"role": "customer"}).text

    def terms_table(page: str) -> str:  # without the address a "hide" brings one back to
        table = page[page.index('<table class="terms">') :].split("</table>")[0]
        return re.sub(r'name="back" value="[^"]*"', "", table)

    assert terms_table(opened) == terms_table(customers)
    everyone = data.get("/report", params={"role": "all"}).text
    assert 'class="active" aria-current="page">Everyone<' in everyone


def test_a_report_without_customer_speech_opens_on_everyone(api_client, settings) -> None:
    client, _ = api_client
    add_recording(settings, "solo", "Solo", [("unknown", "Ik wil een thuisbatterij erbij.")])
    opened = client.get("/report").text
    assert 'class="active" aria-current="page">Everyone<' in opened
    assert "thuisbatterij" in opened


def test_the_report_points_to_recordings_whose_speech_has_no_role(data, settings) -> None:
    """A one-speaker recording counts for neither side: the side's tab says so, and where."""
    customers = data.get("/report", params={"role": "customer"}).text
    assert 'id="roleless"' not in customers  # every speaker of the demo has a role
    add_recording(settings, "solo", "Solo", [("unknown", "Ik wil een thuisbatterij erbij.")])
    customers = data.get("/report", params={"role": "customer"}).text
    note = customers[customers.index('id="roleless"') :].split("</p>")[0]
    assert note.startswith('id="roleless">1 recording has speech with no role')
    assert 'href="/recordings/solo"' in note
    everyone = data.get("/report", params={"role": "all"}).text
    assert 'id="roleless"' not in everyone  # "Everyone" counts it already
    other = data.get("/report", params={"role": "customer", "customer": "Bakker"}).text
    assert 'id="roleless"' not in other  # the filters hold for the note too


@pytest.mark.parametrize(
    ("title", "sent_as"),
    [
        ("Bakker.txt", "Bakker.txt"),
        ("....txt", "download.txt"),  # a title of dots: the extension survives
        (".verborgen.txt", "verborgen.txt"),  # never a hidden file
        (" Bakker . .srt", "Bakker.srt"),
        ("a/b\\\\c.vtt", "a_b_c.vtt"),
        ("zonder punt", "zonder punt"),
    ],
)
def test_download_names_are_safe_and_keep_their_extension(title: str, sent_as: str) -> None:
    from api.downloads import attachment

    assert attachment(title) == f'attachment; filename="{sent_as}"'
