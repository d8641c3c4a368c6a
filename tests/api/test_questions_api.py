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
