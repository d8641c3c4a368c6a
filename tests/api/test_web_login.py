"""The web pages behind the admin token, with CSRF tokens on their forms (#6)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import prepare_demo


def _client(settings, token: str = "s3cret-token") -> TestClient:
    signed = settings.model_copy(update={"web_token": token})
    prepare_demo(signed)
    return TestClient(create_app(signed, start_worker=False))


def test_pages_ask_for_the_token_and_remember_the_browser(settings) -> None:
    with _client(settings) as client:
        first = client.get("/report?role=customer", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=/report%3Frole%3Dcustomer"
        assert client.get("/healthz").status_code == 200  # open
        assert client.get("/api/v1/recordings").status_code == 401  # the API has its own keys
        wrong = client.post("/login", data={"token": "guess", "next": "/report"})
        assert wrong.status_code == 401 and "not the token" in wrong.text
        assert "ridealong_session" not in client.cookies
        right = client.post(
            "/login",
            data={"token": "s3cret-token", "next": "/report?role=customer"},
            follow_redirects=False,
        )
        assert right.status_code == 303 and right.headers["location"] == "/report?role=customer"
        cookie = right.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert client.get("/report").status_code == 200
        elsewhere = client.post(
            "/login",
            data={"token": "s3cret-token", "next": "//evil.example/x"},
            follow_redirects=False,
        )
        assert elsewhere.headers["location"] == "/"  # never sent off-site
        client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)})
        assert client.get("/", follow_redirects=False).status_code == 303


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(settings) -> None:
    with _client(settings) as client:
        client.get("/login?token=s3cret-token")  # the link `serve` prints
        recording = client.get("/").text
        recording_id = re.search(r'href="/recordings/([0-9a-f]{32})"', recording).group(1)
        page = client.get(f"/recordings/{recording_id}").text
        token = _csrf(page)
        assert token and page.count('name="csrf_token"') >= 3  # tags, speakers, delete
        forged = client.post(f"/recordings/{recording_id}/tags", data={"tags": "x"})
        assert forged.status_code == 403 and "reload the page" in forged.text
        stale = client.post(
            f"/recordings/{recording_id}/tags", data={"tags": "x", "csrf_token": "0" * 32}
        )
        assert stale.status_code == 403
        ok = client.post(
            f"/recordings/{recording_id}/tags", data={"tags": "Beurs, Q4", "csrf_token": token}
        )
        assert ok.status_code == 200 and 'value="beurs, q4"' in ok.text
        assert "Tags saved, in lower case" in ok.text  # said, not silently changed
        # A browser: the refusal is a page in the reader's language, with the way back.
        came_from = f"{client.base_url}/recordings/{recording_id}"
        browser = {"Accept": "text/html", "Accept-Language": "nl", "Referer": came_from}
        expired = client.post(
            f"/recordings/{recording_id}/tags", data={"tags": "x"}, headers=browser
        )
        assert expired.status_code == 403 and expired.headers["content-type"].startswith(
            "text/html"
        )
        assert "Het formulier is verlopen" in expired.text
        assert (
            f'<a href="/recordings/{recording_id}">Terug naar de vorige pagina</a>' in expired.text
        )
        typo = client.get("/report?limit=abc", headers=browser)
        assert typo.status_code == 422 and "Dit adres werkt niet" in typo.text
        assert forged.json()["code"] == "forbidden"  # programs keep the JSON answer
    with _client(settings) as other:  # another browser: its own session, its own token
        other.get("/login?token=s3cret-token")
        assert _csrf(other.get("/").text) != token


def test_without_a_token_the_pages_are_open(api_client) -> None:
    client, _ = api_client
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 200 and 'name="csrf_token"' not in page.text
    # Open pages have no session for a CSRF token: a browser's word on the origin decides.
    elsewhere = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    forged = client.post("/suggest", data={"page_copy": "zonnepanelen"}, headers=elsewhere)
    assert forged.status_code == 403
    page = client.post(
        "/suggest",
        data={"page_copy": "zonnepanelen"},
        headers={**elsewhere, "Accept": "text/html", "Accept-Language": "nl"},
    )
    said = re.search(r"<h1>[^<]*</h1><p>([^<]*)</p>", page.text)
    assert said and said[1][:1].isupper() and said[1].endswith("."), page.text[-500:]
    sibling = {"Sec-Fetch-Site": "same-site"}  # another subdomain of the same site
    assert client.post("/suggest", data={"page_copy": "x"}, headers=sibling).status_code == 403
    ours = client.post(
        "/suggest", data={"page_copy": "zonnepanelen"}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert ours.status_code == 200


def test_tokens_and_names_never_reach_the_access_log(settings) -> None:
    import logging

    from api.app import _NoPersonalData

    def logged(path: str) -> str:
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5", "GET", path, "1.1", 303), None,
        )  # fmt: skip
        assert _NoPersonalData().filter(record)
        return record.getMessage()

    assert '"GET /login?next=…&token=… HTTP/1.1"' in logged("/login?next=%2F&token=s3cret")
    named = logged("/api/v1/terms?customer=Petra%20Bakker&role=customer&since=")
    assert "/api/v1/terms?customer=…&role=…&since= " in named and "Petra" not in named
    assert '"GET /report HTTP/1.1"' in logged("/report")
    assert "/api/v1/voices/… " in logged("/api/v1/voices/Petra%20Bakker")
    assert '"GET /voices HTTP/1.1"' in logged("/voices")
    access = logging.getLogger("uvicorn.access")
    for earlier in [f for f in access.filters if isinstance(f, _NoPersonalData)]:
        access.removeFilter(earlier)  # another app in this process may have added it
    with _client(settings) as client:
        client.get("/")
        assert any(isinstance(f, _NoPersonalData) for f in access.filters)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    return found.group(1) if found else ""


def test_sign_out_ends_the_session_wherever_its_cookie_was_copied(settings) -> None:
    with _client(settings) as client:
        client.get("/login?token=s3cret-token")
        cookie = client.cookies["ridealong_session"]
        page = client.get("/report")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"  # Back after signing out: no copy
        assert "no-store" not in client.get("/static/style.css").headers.get("cache-control", "")
        out = client.post("/logout", data={"csrf_token": _csrf(page.text)})
        assert out.url.path == "/login" and "You are signed out." in out.text
        assert "You are signed out." not in client.get("/login?done=saved").text
        again = client.post("/logout", follow_redirects=False)  # another tab, signed out
        assert again.status_code == 303 and again.headers["location"] == "/login"
    with _client(settings) as copied:  # the old cookie, kept by another browser or a thief
        copied.cookies.set("ridealong_session", cookie)
        assert copied.get("/report", follow_redirects=False).status_code == 303
        copied.get("/login?token=s3cret-token")  # signing in again starts a new session
        assert copied.get("/report").status_code == 200


def test_two_sign_outs_of_one_session_at_once_both_succeed(settings, monkeypatch) -> None:
    """Two tabs signing out together: each looks, sees no row, and inserts; the second
    insert meets the first one's row and must not fail (PostgreSQL raises IntegrityError)."""
    from sqlalchemy.orm import Session

    from api.auth import session_signed_out, sign_out_session
    from api.db import get_database

    settings.data_dir.mkdir(parents=True)
    database = get_database(settings.sqlalchemy_url)
    with database.session() as first, database.session() as second:
        sign_out_session(first, "session-1")
        # An implementation that looks before it inserts would see no row here, as in a
        # race; this one must not need to look.
        with monkeypatch.context() as race:
            race.setattr(Session, "get", lambda *_args, **_kwargs: None)
            sign_out_session(second, "session-1")
        assert session_signed_out(second, "session-1")
        sign_out_session(second, "session-2")  # and the session is usable afterwards
        assert session_signed_out(first, "session-2")


def test_a_database_outage_answers_signed_in_pages_with_503(settings, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    import api.app

    with _client(settings) as client:
        client.get("/login?token=s3cret-token")

        def unreachable(*_args: object) -> bool:
            raise OperationalError("SELECT", {}, Exception("connection refused"))

        monkeypatch.setattr(api.app, "_signed_out", unreachable)
        page = client.get("/report", follow_redirects=False)
        assert page.status_code == 503 and page.headers["retry-after"]
        assert "try again" in page.json()["detail"]


def test_a_weekly_visitor_stays_signed_in_and_a_sign_out_still_ends_it(settings) -> None:
    """Each day's first page renews the session (same id: same CSRF tokens, same sign-out);
    a browser that stays away SESSION_DAYS signs in again."""
    import time

    from api import websession

    day = 86400
    now = time.time()
    with _client(settings) as client:
        week_old = websession.new_session("s3cret-token", now - 7 * day)
        ident = websession.session_id("s3cret-token", week_old)
        client.cookies.set("ridealong_session", week_old)
        page = client.get("/report")
        assert page.status_code == 200 and "ridealong_session=" in page.headers["set-cookie"]
        renewed = page.headers["set-cookie"].split("ridealong_session=")[1].split(";")[0]
        client.cookies.clear()
        client.cookies.set("ridealong_session", renewed)
        assert renewed != week_old and websession.session_id("s3cret-token", renewed) == ident
        # Thirteen days on, the old cookie has run out and the renewed one has not.
        later = now + 13 * day
        assert websession.session_id("s3cret-token", week_old, later) is None
        assert websession.session_id("s3cret-token", renewed, later) == ident
        assert "set-cookie" not in client.get("/report").headers  # renewed once a day
        client.post("/logout", data={"csrf_token": _csrf(page.text)})  # the old page's token
        assert client.get("/report", follow_redirects=False).status_code == 303
        for kept in (week_old, renewed):  # copies kept elsewhere: both ended
            client.cookies.clear()
            client.cookies.set("ridealong_session", kept)
            assert client.get("/report", follow_redirects=False).status_code == 303
    stale = websession.new_session("s3cret-token", now - 15 * day)
    assert websession.renewed_session("s3cret-token", stale, now) is None  # too late to renew
    # However often it is renewed, a session ends MAX_SESSION_DAYS after signing in.
    signed_in = int(now - (websession.MAX_SESSION_DAYS + 1) * day)
    value = f"abc~{signed_in}.{int(now - day)}"
    kept_alive = f"{value}.{websession._sign('s3cret-token', value)}"
    assert websession.session_id("s3cret-token", kept_alive, now) is None
    value = f"abc~{signed_in + 2 * day}.{int(now - day)}"  # a day before its end: still good
    recent = f"{value}.{websession._sign('s3cret-token', value)}"
    assert websession.session_id("s3cret-token", recent, now) == f"abc~{signed_in + 2 * day}"
    value = f"legacy.{int(now - 2 * day)}"  # a cookie of before sign-in times were kept
    legacy = f"{value}.{websession._sign('s3cret-token', value)}"
    assert websession.session_id("s3cret-token", legacy, now) == "legacy"
    assert websession.renewed_session("s3cret-token", legacy, now) is None  # runs out as it was
