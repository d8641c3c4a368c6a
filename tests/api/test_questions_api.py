"""Customer questions through the API: FAQ candidates, and the ones a page leaves open."""

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
    result = client.post("/api/v1/suggestions", json={"html": page}).json()
    asked = {g["question"] for g in groups}
    drafts = result["questions"]
    assert drafts and all(d["question"] in asked for d in drafts)
    subsidy = next(g for g in groups if "subsidie" in g["keywords"])
    answered = client.post(
        "/api/v1/suggestions",
        json={"text": page + " De subsidie levert u ongeveer 3.000 euro op."},
    ).json()
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
    assert client.get("/api/v1/terms", params={"since": "gisteren"}).status_code == 422


def test_report_page_filters(api_client, settings) -> None:
    client, _ = api_client
    prepare_demo(settings)
    everyone = client.get("/report").text
    assert "thuisbatterij" in everyone
    bakker = client.get("/report", params={"customer": "Bakker", "since": "2026-11-01"}).text
    assert 'value="Bakker"' in bakker and "thuisbatterij" not in bakker
    assert "warmtepomp" in bakker
    assert "role=customer&amp;since=2026-11-01&amp;customer=Bakker" in bakker  # tabs keep it
    nobody = client.get("/report", params={"since": "2030-01-01", "until": "nonsense"})
    assert nobody.status_code == 200 and "No terms yet" in nobody.text


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
    assert "only customers" in customers  # words the salespeople never say are marked


def test_suggestions_export_as_markdown_and_csv(api_client, settings) -> None:
    import csv
    import io

    client, _ = api_client
    prepare_demo(settings)
    page = {"html": "<h1>Zonnepanelen</h1><p>Wij leggen panelen op elk dak.</p>"}
    data = client.post("/api/v1/suggestions", json=page).json()
    markdown = client.post("/api/v1/suggestions", params={"format": "markdown"}, json=page)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert f"Coverage: **{data['coverage']}/100**" in markdown.text
    assert f"**{data['missing_terms'][0]['term']}**" in markdown.text
    assert data["questions"][0]["question"] in markdown.text
    table = client.post("/api/v1/suggestions", params={"format": "csv"}, json=page)
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["text"] for r in rows if r["kind"] == "missing term"] == [
        t["term"] for t in data["missing_terms"]
    ]
    assert sum(r["kind"] == "open question" for r in rows) == len(data["questions"])
    form = client.post(
        "/suggest", data={"page_copy": page["html"], "is_html": "true", "export": "csv"}
    )
    assert form.headers["content-disposition"] == 'attachment; filename="page-suggestions.csv"'
    assert form.text == table.text
