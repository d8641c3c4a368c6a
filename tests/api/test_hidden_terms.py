"""Terms a person hides (misheard words, words of no interest) leave every report, and come
back when shown again, counts intact."""

from __future__ import annotations

import re
from typing import Any

from api.demo import prepare_demo
from api.settings import Settings


def _terms(client: Any, **params: str) -> dict[str, int]:
    answer = client.get("/api/v1/terms", params={"limit": "100", **params}).json()
    return {t["lemma"]: t["count"] for t in answer["terms"]}


def test_a_hidden_term_leaves_the_api_and_comes_back_with_its_counts(
    api_client: Any, settings: Settings
) -> None:
    client, _ = api_client
    prepare_demo(settings)
    before = _terms(client, role="customer")
    hidden = next(iter(before))  # the customers' top term
    made = client.post("/api/v1/hidden-terms", json={"term": f" {hidden.upper()} "})
    assert made.status_code == 201 and made.json()["key"] == hidden
    assert client.post("/api/v1/hidden-terms", json={"term": hidden}).status_code == 201  # twice
    assert hidden not in _terms(client, role="customer") and hidden not in _terms(client)
    listed = client.get("/api/v1/hidden-terms").json()["terms"]
    assert [t["key"] for t in listed] == [hidden]
    page = {"text": "Welkom op onze website.", "language": "nl"}
    missing = client.post("/api/v1/suggestions", json=page).json()["missing_terms"]
    assert missing and hidden not in {t["lemma"] for t in missing}
    assert client.delete(f"/api/v1/hidden-terms/{hidden}").status_code == 204
    assert _terms(client, role="customer") == before  # counts kept while it was hidden
    assert client.delete(f"/api/v1/hidden-terms/{hidden}").status_code == 404


def test_a_term_with_a_slash_is_shown_again(api_client: Any) -> None:
    """Dutch terms hold slashes ("lucht/water warmtepomp"); the key is one path parameter."""
    client, _ = api_client
    for sent in ("lucht/water", "lucht%2Fwater"):
        assert client.post("/api/v1/hidden-terms", json={"term": "lucht/water"}).status_code == 201
        assert client.delete(f"/api/v1/hidden-terms/{sent}").status_code == 204, sent
        assert client.get("/api/v1/hidden-terms").json()["terms"] == []


def test_hiding_needs_a_write_key(api_client: Any, settings: Settings) -> None:
    from api.auth import create_api_key
    from api.db import get_database

    client, _ = api_client
    with get_database(settings.sqlalchemy_url).session() as session:
        reader = {"Authorization": f"Bearer {create_api_key(session, 'cms', 'read')}"}
    assert client.get("/api/v1/hidden-terms", headers=reader).status_code == 200
    refused = client.post("/api/v1/hidden-terms", json={"term": "x"}, headers=reader)
    assert refused.status_code == 403


def test_the_report_hides_a_term_and_shows_it_again(api_client: Any, settings: Settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    report = client.get("/report?role=all").text
    key = re.search(r'name="key" value="([^"]+)"', report).group(1)  # the first term's
    # The form brings the person back to the same rank, not to the top of a long page.
    back = re.search(r'name="back" value="([^"]+)"', report).group(1)
    assert back == "/report?role=all#term-1"
    hiding = {"key": key, "term": key, "back": "/report?role=all&done=shown#term-1"}
    hid = client.post("/terms/hide", data=hiding, follow_redirects=False)
    assert hid.status_code == 303
    assert hid.headers["location"] == "/report?role=all&done=hidden#term-1"
    page = client.get(hid.headers["location"]).text
    assert "Term hidden from the reports" in page and 'id="hidden-terms"' in page
    table = page.split('<table class="terms">')[1].split("</table>")[0]
    assert f'name="key" value="{key}"' not in table  # gone from the terms
    shown = client.post(
        "/terms/show", data={"key": key, "back": "//elsewhere.example/x"}, follow_redirects=False
    )
    assert shown.headers["location"] == "/?done=shown"  # only ever back to this site
    assert 'id="hidden-terms"' not in client.get("/report?role=all").text


def test_a_page_is_compared_with_the_conversations_of_its_tag(
    api_client: Any, settings: Settings
) -> None:
    """A heat-pump page against the heat-pump calls, not against every call."""
    client, _ = api_client
    prepare_demo(settings)
    recordings = client.get("/api/v1/recordings").json()["recordings"]
    heat = next(r["id"] for r in recordings if "Warmtepomp" in r["title"])
    solar = next(r["id"] for r in recordings if r["id"] != heat)
    assert client.patch(f"/api/v1/recordings/{heat}", json={"tags": ["warmtepomp"]}).is_success
    solar_only = set(_terms(client, role="customer", recording_id=solar)) - set(
        _terms(client, role="customer", recording_id=heat)
    )
    page = {"text": "Welkom op onze website.", "language": "nl", "limit": 200}
    everything = client.post("/api/v1/suggestions", json=page).json()["missing_terms"]
    assert solar_only & {t["lemma"] for t in everything}
    tagged = client.post("/api/v1/suggestions", params={"tag": "warmtepomp"}, json=page).json()
    assert tagged["missing_terms"] and not solar_only & {
        t["lemma"] for t in tagged["missing_terms"]
    }
    typo = client.post("/api/v1/suggestions", params={"tag": "warmtepmop"}, json=page)
    assert typo.status_code == 422 and "no analysed conversation matches" in typo.text
    form = {"page_copy": "Welkom op onze website.", "tag": "Warmtepomp"}
    html = client.post("/suggest", data=form).text
    assert 'name="tag" maxlength="50" value="Warmtepomp"' in html
    assert f"/recordings/{heat}#t=" in html and f"/recordings/{solar}#t=" not in html  # quotes
    untagged = client.post("/suggest", data={"page_copy": form["page_copy"]}).text
    assert f"/recordings/{solar}#t=" in untagged


def test_a_term_sent_as_the_report_shows_it_hides_its_lemma(
    api_client: Any, settings: Settings
) -> None:
    """/terms gives "panelen" as the term of the lemma "paneel": a CMS sending that form
    hid nothing before."""
    client, _ = api_client
    prepare_demo(settings)
    terms = client.get("/api/v1/terms", params={"limit": "100"}).json()["terms"]
    shown = next(t for t in terms if t["term"] != t["lemma"] and " " not in t["term"])
    made = client.post("/api/v1/hidden-terms", json={"term": shown["term"]})
    assert made.status_code == 201 and made.json()["key"] == shown["lemma"]
    assert shown["lemma"] not in _terms(client)
    assert client.delete(f"/api/v1/hidden-terms/{shown['term']}").status_code == 204  # as sent
    assert shown["lemma"] in _terms(client)
    unheard = client.post("/api/v1/hidden-terms", json={"term": "cero"})  # before it is said
    assert unheard.status_code == 201 and unheard.json()["key"] == "cero"
