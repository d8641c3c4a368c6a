"""Customer questions through the API: FAQ candidates, and the ones a page leaves open."""

import re
from datetime import date

from api.demo import prepare_demo


def test_customer_questions_and_faq_drafts_on_the_demo_data(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    groups = client.get("/api/v1/questions").json()["questions"]
    assert groups and groups[0]["count"] >= 2
    assert [g["count"] for g in groups] == sorted((g["count"] for g in groups), reverse=True)
    assert all(q["role"] == "customer" for g in groups for q in g["quotes"])
    assert all(q["text"] for g in groups for q in g["quotes"])
    sales = client.get("/api/v1/questions", params={"role": "salesperson"}).json()["questions"]
    assert sales and all(q["role"] == "salesperson" for g in sales for q in g["quotes"])
    assert client.get("/api/v1/questions", params={"role": "boss"}).status_code == 422

    page = "<h1>Zonnepanelen</h1><p>Wij leggen panelen op elk dak.</p>"
    result = client.post("/api/v1/suggestions", json={"html": page, "limit": 50}).json()
    asked = {g["question"] for g in groups}
    drafts = result["questions"]
    assert drafts and all(d["question"] in asked for d in drafts)
    # Each says why it is open: keywords of its own the page does not use.
    assert all(
        (d.get("page_lacks") and set(d["page_lacks"]) <= set(d["keywords"]))
        or d.get("page_gives_no") in ("price", "time")
        for d in drafts
    )
    assert all("zonnepaneel" not in (d["page_lacks"] or ()) for d in drafts)  # the page has it
    assert all(g["page_lacks"] is None for g in groups)  # no page, nothing lacking
    subsidy = next(g for g in groups if set(g["keywords"]) == {"subsidie", "zonnepaneel"})
    answer = " Voor zonnepanelen krijgt u subsidie: ongeveer 3.000 euro."
    answered = client.post("/api/v1/suggestions", json={"text": page + answer, "limit": 50}).json()
    assert subsidy["question"] in {d["question"] for d in drafts}
    assert subsidy["question"] not in {d["question"] for d in answered["questions"]}


def test_report_and_suggest_pages_show_the_questions(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    top = client.get("/api/v1/questions").json()["questions"][0]["question"]
    report = client.get("/report").text
    assert "Questions customers ask" in report and top.replace("'", "&#39;") in report
    page = client.post("/suggest", data={"page_copy": "Wij leggen zonnepanelen."}).text
    assert "Questions customers ask that the page does not answer" in page
    assert "the page lacks:" in page
    assert top.replace("'", "&#39;") in page


def test_reports_filter_by_period_people_and_language(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)  # two recordings, 2 Nov 2026, salesperson Mark, De Vries and Bakker

    def quoted(path: str, **params) -> set[str]:
        body = client.get(path, params={"limit": 500, **params}).json()
        items = body.get("terms") or body.get("questions") or []
        return {q["recording_id"] for item in items for q in item["quotes"]}

    everyone = quoted("/api/v1/terms")
    assert len(everyone) == 2
    bakker = quoted("/api/v1/terms", customer="bakk")  # part of the name, any case
    assert len(bakker) == 1 and quoted("/api/v1/questions", customer="BAKKER") == bakker
    assert quoted("/api/v1/terms", salesperson="mark") == everyone
    assert quoted("/api/v1/terms", since="2026-11-01", until="2026-11-02") == everyone
    assert quoted("/api/v1/terms", since="2026-11-03") == set()
    assert quoted("/api/v1/terms", language="en") == set()
    assert quoted("/api/v1/terms", customer="%") == set()  # a wildcard is just a character
    (bakker_id,) = bakker
    renamed = client.patch(f"/api/v1/recordings/{bakker_id}", json={"customer": "Çelik-Bakker"})
    assert renamed.status_code == 200  # a capital SQLite's own lower() leaves alone
    assert (
        quoted("/api/v1/terms", customer="çelik")
        == bakker
        == quoted("/api/v1/questions", customer="ÇELIK-b")
    )
    assert client.get("/api/v1/terms", params={"since": "gisteren"}).status_code == 422
    blank = dict.fromkeys(("recording_id", "since", "until", "salesperson", "customer"), "")
    blank.update(language="", tag="", role="", limit="", format="")  # unfilled: as if left out
    assert client.get("/api/v1/terms", params=blank).json() == client.get("/api/v1/terms").json()
    assert client.get("/api/v1/terms", params={"limit": "0"}).status_code == 422  # still checked
    listed = client.get("/api/v1/recordings", params={"offset": "", "limit": "", "status": ""})
    assert listed.json() == client.get("/api/v1/recordings").json()
    asked = client.get("/api/v1/questions", params=blank)
    assert asked.status_code == 200 and asked.json() == client.get("/api/v1/questions").json()
    reversed_dates = client.get(
        "/api/v1/terms", params={"since": "2026-11-02", "until": "2026-11-01"}
    )
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["detail"] == "since (2026-11-02) is after until (2026-11-01)"


def test_report_page_filters(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    everyone = client.get("/report").text
    assert "thuisbatterij" in everyone
    for section in ("rising", "trend", "sides", "synonyms", "questions"):  # past the terms
        assert f'<a href="#{section}">' in everyone and f'id="{section}"' in everyone
    bakker = client.get("/report", params={"customer": "Bakker", "since": "2026-11-01"}).text
    assert 'value="Bakker"' in bakker and "thuisbatterij" not in bakker
    assert "warmtepomp" in bakker
    assert "role=customer&amp;since=2026-11-01&amp;customer=Bakker" in bakker  # tabs keep it
    nobody = client.get("/report", params={"since": "2030-01-01", "until": "nonsense"})
    assert nobody.status_code == 200 and "No terms for these filters" in nobody.text
    assert "No terms yet" not in nobody.text  # there are recordings, just none of these
    assert "role=customer" in nobody.text and "role=salesperson" in nobody.text  # tabs stay
    assert "role=customer" in everyone and "role=unknown" not in everyone  # nobody unknown
    assert (
        'href="/report?role=unknown" class="active"'
        in client.get("/report", params={"role": "unknown"}).text
    )  # the tab chosen stays, even when empty
    turned = client.get("/report", params={"since": "2026-11-03", "until": "2026-11-01"}).text
    assert 'name="since" value="2026-11-01"' in turned and 'value="2026-11-03"' in turned
    assert "thuisbatterij" in turned  # the dates the wrong way round, read the right way


def test_report_sets_customers_words_beside_salespeoples(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    page = client.get("/report").text
    customers = page.split('class="side side-customer"')[1].split('class="side side-salesperson"')[
        0
    ]
    salespeople = page.split('class="side side-salesperson"')[1].split("</section>")[0]
    top_customer = client.get("/api/v1/terms", params={"role": "customer", "limit": 1}).json()
    assert top_customer["terms"][0]["term"] in customers
    top_sales = client.get("/api/v1/terms", params={"role": "salesperson", "limit": 1}).json()
    assert top_sales["terms"][0]["term"] in salespeople


def test_a_word_only_customers_say_is_marked_once_two_conversations_say_it(
    api_client, settings
) -> None:
    """Words the salespeople never say are the ones to learn from, once two conversations
    hold them: a word from one may be misheard ("bezigen" for "B zeggen")."""
    from tests.api.test_report_privacy import _analysed

    client, _ = api_client
    for day in ("2026-11-02", "2026-11-03"):
        said = [
            ("salesperson", "Goedemiddag, wat kan ik voor u doen?"),
            ("customer", "Wij willen een thuisbatterij. Een thuisbatterij voor de nacht."),
        ]
        _analysed(settings, said, day)  # fmt: skip
    _analysed(settings, [("customer", "Wie a zegt moet ook bezigen bezigen.")], "2026-11-04")
    page = client.get("/report").text
    customers = page.split('class="side side-customer"')[1].split('class="side side-salesperson"')[
        0
    ]
    items = {li.split("</span>")[0].rsplit(">", 1)[-1]: li for li in customers.split("<li>")[1:]}
    assert 'class="only"' in items["thuisbatterij"]
    assert "bezigen" in items and 'class="only"' not in items["bezigen"]


def test_suggestions_export_as_markdown_and_csv(api_client, settings) -> None:
    import csv
    import io

    client, _ = api_client
    prepare_demo(settings)
    page = {"html": "<h1>Zonnepanelen</h1><p>Wij leggen panelen op elk dak.</p>"}
    data = client.post("/api/v1/suggestions", json=page).json()
    markdown = client.post("/api/v1/suggestions", params={"format": "markdown"}, json=page)
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.headers["content-disposition"] == 'attachment; filename="page-suggestions.md"'
    assert f"Coverage: **{data['coverage']}/100**" in markdown.text
    assert f"**{data['missing_terms'][0]['term']}**" in markdown.text
    assert data["questions"][0]["question"] in markdown.text
    # what it rests on, as the web page's brief says it: the conversations and their days
    assert re.search(r"Compared with 2 conversations, \w{3} \d+, 2026 to", markdown.text)
    dutch = client.post(
        "/api/v1/suggestions", params={"format": "markdown", "words": "NL"}, json=page
    )
    assert f"**{data['coverage']}/100**" in dutch.text and "Coverage" not in dutch.text
    assert "Vergeleken met 2 gesprekken" in dutch.text
    assert data["questions"][0]["question"] in dutch.text
    api_csv_disposition = 'attachment; filename="page-suggestions.csv"'
    table = client.post("/api/v1/suggestions", params={"format": "csv"}, json=page)
    assert table.headers["content-disposition"] == api_csv_disposition
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["text"] for r in rows if r["kind"] == "missing term"] == [
        t["term"] for t in data["missing_terms"]
    ]
    assert sum(r["kind"] == "open question" for r in rows) == len(data["questions"])
    form = client.post(
        "/suggest", data={"page_copy": page["html"], "is_html": "true", "export": "csv"}
    )
    dated = f"page-suggestions-{date.today().isoformat()}.csv"  # a person's download: its day
    assert form.headers["content-disposition"] == f'attachment; filename="{dated}"'
    assert form.text == table.text


def test_tags_set_by_patch_filter_reports(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    recordings = client.get("/api/v1/recordings").json()["recordings"]
    bakker = next(r for r in recordings if r["customer"] == "Bakker")
    response = client.patch(
        f"/api/v1/recordings/{bakker['id']}", json={"tags": ["Warmtepomp ", "particulier"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["particulier", "warmtepomp"]  # cleaned, sorted
    tagged = client.get("/api/v1/terms", params={"tag": "WARMTEPOMP", "limit": 500}).json()
    assert tagged["terms"]
    assert {q["recording_id"] for t in tagged["terms"] for q in t["quotes"]} == {bakker["id"]}
    assert client.get("/api/v1/questions", params={"tag": "zakelijk"}).json()["questions"] == []
    page = client.get("/report", params={"tag": "warmtepomp"}).text
    assert 'value="warmtepomp"' in page  # the filter is kept, and offered in the list
    assert (
        client.patch(f"/api/v1/recordings/{bakker['id']}", json={"tags": []}).json()["tags"] == []
    )
    assert client.get("/api/v1/terms", params={"tag": "warmtepomp"}).json()["terms"] == []
    bad = client.patch(f"/api/v1/recordings/{bakker['id']}", json={"tags": "x", "colour": 1})
    assert bad.status_code == 422
    assert client.patch("/api/v1/recordings/nope", json={"tags": []}).status_code == 404


def test_upload_form_tags_reach_the_recording(api_client, settings, tmp_path) -> None:
    from tests.conftest import tone, write_audio

    client, _ = api_client
    audio = write_audio(tone(1.0), tmp_path / "beep.wav", "pcm_s16le")
    with audio.open("rb") as f:
        response = client.post(
            "/api/v1/recordings",
            files={"file": ("beep.wav", f, "audio/wav")},
            data={"consent": "true", "tags": "beurs, Beurs, Q4"},
        )
    assert response.status_code == 202, response.text
    recording = client.get(f"/api/v1/recordings/{response.json()['id']}").json()
    assert recording["tags"] == ["beurs", "q4"]


def test_near_synonyms_in_the_api_and_the_report(api_client, settings) -> None:
    from tests.api.test_exports import add_recording

    client, _ = api_client
    prepare_demo(settings)  # its one pair was "geluid ≈ hoort", a noun and a verb: none now
    add_recording(
        settings,
        "r-look",
        "Jansen",
        [
            ("customer", "Kunnen jullie een contract sturen?"),
            ("salesperson", "U krijgt de overeenkomst per mail."),
            ("customer", "Dat contract wil ik voor vrijdag."),
            ("salesperson", "In de overeenkomst staat alles."),
        ],
    )
    groups = client.get("/api/v1/synonyms").json()["groups"]
    lemmas = [sorted(m["lemma"] for m in g["members"]) for g in groups]
    assert ["contract", "overeenkomst"] in lemmas  # customers say one, salespeople the other
    assert ["geluid", "horen"] not in lemmas
    terms = {t["lemma"]: t for t in client.get("/api/v1/terms?limit=200").json()["terms"]}
    seen: set[str] = set()
    for group in groups:
        lemmas = [m["lemma"] for m in group["members"]]
        assert len(lemmas) >= 2 and seen.isdisjoint(lemmas)  # a term in one group at most
        seen.update(lemmas)
        assert all(lemma in terms for lemma in lemmas)  # grouped among the ranked terms
        choice = group["customer_choice"]
        if choice:  # the member customers said most
            said = {m["lemma"]: m["count_by_role"].get("customer", 0) for m in group["members"]}
            assert said[choice["lemma"]] == max(said.values()) > 0
    differ = [g["words_differ"] for g in groups]
    assert differ == sorted(differ, reverse=True)  # groups where the sides differ first
    page = client.get("/report").text
    first = groups[0]["members"][0]["term"]
    assert "Same meaning, different words" in page and first in page


def test_near_synonyms_can_be_switched_off(tmp_path) -> None:
    from api.settings import Settings
    from tests.conftest import authorised_client

    off = Settings(data_dir=tmp_path / "data", synonyms=False, _env_file=None)  # type: ignore[call-arg]
    with authorised_client(off) as (client, _):
        prepare_demo(off)
        assert client.get("/api/v1/synonyms").status_code == 422
        assert "(switched off)" in client.get("/report").text
        result = client.post("/api/v1/suggestions", json={"text": "Vraag een prijsopgave aan."})
        assert result.status_code == 200 and result.json()["replacements"] == []


def test_no_questions_left_is_said_in_a_sentence_not_a_numbered_item(api_client) -> None:
    client, _ = api_client
    page = client.post("/suggest", data={"page_copy": "Wij leggen zonnepanelen."}).text
    said = page.index("The page touches every question customers ask.")
    assert page.rfind("<p", 0, said) > page.rfind("<ol", 0, said)  # not inside an <ol>
    assert '<ol class="questions">' not in page


def test_serve_loads_the_reports_models_ahead(settings) -> None:
    """`serve` warms up in the background, so the first report after a start does not wait
    3-4 s for its models: afterwards the near-synonyms' model is loaded."""
    from analyze import synonyms
    from api import service

    synonyms._use_model.cache_clear()
    synonyms.default_embedder.cache_clear()  # its texts were encoded before: a new one
    service.warm_up(settings.model_copy(update={"synonyms": True}))
    assert synonyms._use_model.cache_info().currsize == 1


def test_serve_asks_for_the_warm_up(monkeypatch, tmp_path) -> None:
    """The warm-up above is what `serve` turns on (tests' apps leave it off)."""
    import uvicorn
    from typer.testing import CliRunner

    import api.app
    from api.cli import app as cli

    asked: dict[str, object] = {}
    monkeypatch.setenv("RIDEALONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(
        api.app, "create_app", lambda settings, **options: asked.update(options) or "app"
    )
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: asked.update(served=app))
    result = CliRunner().invoke(cli, ["serve", "--no-login", "--no-worker"])
    assert result.exit_code == 0, result.output
    assert asked == {"start_worker": False, "warm_up": True, "served": "app"}


def test_the_report_says_what_it_did_with_filters_it_could_not_use(api_client, settings) -> None:
    """A date it cannot read, dates the wrong way round, a tag nobody used: said on the page
    rather than silently dropped, turned, or shown as "no customer speech yet"."""
    client, _ = api_client
    prepare_demo(settings)
    wrong = client.get("/report", params={"since": "31-11-2026"}).text
    assert "“31-11-2026” is no date: that filter was left out" in wrong
    turned = client.get("/report", params={"since": "2026-12-01", "until": "2026-11-01"}).text
    assert "The dates were the wrong way round" in turned
    assert 'value="2026-11-01"' in turned.split('name="since"')[1][:40]  # shown as used
    unknown = client.get("/report", params={"tag": "bestaatniet"}).text
    assert "No analysed recording matches these filters" in unknown
    plain = client.get("/report").text
    assert 'class="caution" role="status"' not in plain.split("</form>")[1].split("<nav")[0]


def test_quotes_offer_listening_only_where_the_audio_is_kept(api_client, settings) -> None:
    """The demo's transcripts have no audio (nor has a recording past the retention
    period): their quotes link to the line to read, not "listen from"."""
    client, _ = api_client
    prepare_demo(settings)
    page = client.get("/report").text
    assert 'class="seek"' in page and "listen from" not in page and "read it at" in page


def test_the_report_and_the_comparison_say_how_many_conversations_they_rest_on(
    api_client, settings
) -> None:
    """One call is no trend: the count and the days are said, with a caution when few."""
    client, _ = api_client
    prepare_demo(settings)  # two recordings, both of 2 Nov 2026
    listed = client.get("/api/v1/recordings").json()["recordings"]
    assert "Based on 2 conversations, all on Nov 2, 2026." in client.get("/report").text
    bakker = next(r["id"] for r in listed if r["customer"] == "Bakker")
    moved = client.patch(f"/api/v1/recordings/{bakker}", json={"recorded_at": "2026-11-20"})
    assert moved.status_code == 200
    report = client.get("/report", params={"role": "all"}).text
    assert "Based on 2 conversations, from Nov 2, 2026 to Nov 20, 2026." in report
    assert "a single conversation can set the order" in report  # 2 < 5, the default minimum
    one = client.get("/report", params={"role": "all", "customer": "Bakker"}).text
    assert "Based on 1 conversation, on Nov 20, 2026." in one
    assert "Based on" not in client.get("/report", params={"since": "2030-01-01"}).text
    page = client.post("/suggest", data={"page_copy": "Wij leggen zonnepanelen.", "tag": ""})
    assert "Based on 2 conversations, from Nov 2, 2026 to Nov 20, 2026." in page.text


def test_the_suggest_page_says_a_time_question_lacks_its_time(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    groups = client.get("/api/v1/questions", params={"limit": 50}).json()["questions"]
    when = next(g["question"] for g in groups if g["question"].startswith("Hoe lang duurt het"))
    page = client.post("/suggest", data={"page_copy": "Wij leggen panelen op elk dak."}).text
    drafts = page[page.index("Questions customers ask that the page does not answer") :]
    item = drafts[drafts.index(when) :].split("</li>")[0]
    assert "the page names no time for it" in item
    answered = "Wij leggen panelen op elk dak. Dat duurt meestal twee dagen."
    page = client.post("/suggest", data={"page_copy": answered}).text
    assert when not in page[page.index("Questions customers ask that the page does not answer") :]


def test_reports_and_comparisons_narrow_to_the_conversations_that_mention_a_term(
    api_client, settings
) -> None:
    """A heat-pump page is compared with the calls about heat pumps, tagged or not: `said`
    keeps the recordings in which somebody said the term, in any of its forms."""
    client, _ = api_client
    prepare_demo(settings)
    recordings = client.get("/api/v1/recordings").json()["recordings"]
    ids = {r["customer"]: r["id"] for r in recordings}

    def lemmas(recording_id: str) -> dict[str, dict]:
        found = client.get("/api/v1/terms", params={"recording_id": recording_id, "limit": 500})
        return {t["lemma"]: t for t in found.json()["terms"]}

    de_vries, bakker = lemmas(ids["De Vries"]), lemmas(ids["Bakker"])
    only = next(t for lemma, t in de_vries.items() if lemma not in bakker and " " not in lemma)
    form = max(only["variants"], key=len)  # as said, not the lemma: "thuisbatterijen"
    narrowed = client.get("/api/v1/terms", params={"said": form, "limit": 500}).json()["terms"]
    assert {q["recording_id"] for t in narrowed for q in t["quotes"]} == {ids["De Vries"]}
    page = {"text": "Onze warmtepompen zijn stil."}
    compared = client.post("/api/v1/suggestions", params={"said": form}, json=page)
    assert compared.status_code == 200
    quoted = {q["recording_id"] for t in compared.json()["missing_terms"] for q in t["quotes"]}
    assert quoted == {ids["De Vries"]}
    nobody = client.get("/api/v1/terms", params={"said": "nooitgezegdwoord"}).json()["terms"]
    assert nobody == []
    shown = client.get("/report", params={"said": form}).text
    assert f'name="said" maxlength="200" value="{form}"' in shown  # the filter is kept
    brief = client.post(
        "/suggest", data={"page_copy": "Onze warmtepompen.", "said": form, "export": "markdown"}
    ).text
    assert f"Only conversations that mention “{form}”" in brief  # what the brief rests on
