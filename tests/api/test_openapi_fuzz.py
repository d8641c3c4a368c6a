"""The API against its own OpenAPI (issue #6): schemathesis fuzzes every operation in-process.

No request may get a server error, and every answer must be documented: a status code the
operation lists, a body that fits that status's schema. Requests are generated from
/openapi.json (valid and invalid ones: the coverage and fuzzing phases), sent with a valid
API key to an app holding the two demo recordings, plus a second pass that pins the demo
recordings' ids so the successful answers (recording, transcript, speakers, reports) are
checked too. Deterministic: Hypothesis is derandomized and keeps no example database.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from api.app import create_app
from api.db import Recording, get_database
from api.demo import prepare_demo
from api.settings import Settings

pytestmark = pytest.mark.slow  # about 35 s on 2 cores (the demo's analysis, ~600 requests)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

# 25 examples per operation and phase; derandomized, so CI sees the same requests each run.
FUZZ = hypothesis_settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

# The schema is the app's own; building it touches no disk (only the lifespan does), so a
# data dir that is never created will do. Requests go to the `demo_app` fixture's app.
# (Built at collection: schemathesis's fixture-based loader, `schemathesis.pytest.from_fixture`,
# fails under pytest 9 in 4.32.5: it sets `request.node._nodeid`, which pytest 9 removed.)
_SCHEMA_ONLY = Settings(
    data_dir=Path(tempfile.gettempdir()) / "ridealong-openapi-only", _env_file=None
)
schema = schemathesis.openapi.from_dict(create_app(_SCHEMA_ONLY, start_worker=False).openapi())


@dataclass
class DemoApp:
    app: FastAPI
    headers: dict[str, str]
    recording_ids: list[str]

    def check(self, case: schemathesis.Case) -> None:
        case.call_and_validate(app=self.app, headers=self.headers, checks=CHECKS)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoApp]:
    """An app without the worker, holding the two analysed demo recordings, and its key."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data", _env_file=None)
    key = prepare_demo(settings)
    assert key is not None
    with get_database(settings.sqlalchemy_url).session() as session:
        ids = list(session.scalars(select(Recording.id).order_by(Recording.id)))
    assert len(ids) == 2
    yield DemoApp(create_app(settings, start_worker=False), {"Authorization": f"Bearer {key}"}, ids)
    shutdown_lifespans()  # schemathesis started the app's lifespan on the first request


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case: schemathesis.Case, demo_app: DemoApp) -> None:
    demo_app.check(case)


# Operations that find a demo recording by id: with a random id they only ever answer 404.
# Not PATCH .../speakers (merging or enrolling would rework the demo data for later cases)
# and not DELETE (it would remove it).
PINNED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/recordings/{recording_id}"): "path",
    ("PATCH", "/api/v1/recordings/{recording_id}"): "path",
    ("GET", "/api/v1/recordings/{recording_id}/transcript"): "path",
    ("GET", "/api/v1/recordings/{recording_id}/speakers"): "path",
    ("GET", "/api/v1/terms"): "query",
    ("GET", "/api/v1/questions"): "query",
    ("GET", "/api/v1/synonyms"): "query",
}


@pytest.mark.parametrize("method, path", list(PINNED), ids=[f"{m} {p}" for m, p in PINNED])
def test_a_demo_recording_answers_as_documented(method: str, path: str, demo_app: DemoApp) -> None:
    operation = schema[path][method]
    recording = {"recording_id": demo_app.recording_ids[0]}
    pinned: dict[str, Any] = (
        {"path_parameters": recording} if PINNED[method, path] == "path" else {"query": recording}
    )

    @given(case=operation.as_strategy(**pinned))
    @FUZZ
    def answers_as_documented(case: schemathesis.Case) -> None:
        demo_app.check(case)

    answers_as_documented()


def test_query_bounds_and_choices_are_in_the_schema(demo_app: DemoApp) -> None:
    """Clients are generated from these: a bound that is only checked, not published, is
    invisible to them (pydantic writes `ge`/`le` where JSON Schema wants minimum/maximum)."""
    spec = demo_app.app.openapi()

    def parameter(path: str, name: str) -> dict[str, Any]:
        found = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found[0]["schema"]

    limit = parameter("/api/v1/recordings", "limit")
    assert (limit["minimum"], limit["maximum"]) == (1, 1000)
    assert parameter("/api/v1/recordings", "offset")["minimum"] == 0
    assert parameter("/api/v1/terms", "limit")["maximum"] == 1000
    assert parameter("/api/v1/terms", "format")["enum"] == ["json", "csv", "xlsx"]
    since = parameter("/api/v1/terms", "since")["anyOf"][0]
    assert since == {"type": "string", "format": "date"}
    for path, name in [("/api/v1/recordings", "limit"), ("/api/v1/questions", "limit")]:
        assert "ge" not in parameter(path, name) and "le" not in parameter(path, name)


def test_every_api_operation_documents_the_database_restart(demo_app: DemoApp) -> None:
    """Any route answers 503 with Retry-After while the database restarts (api.errors):
    a generated client must expect it everywhere, not only where a model may be missing."""
    spec = demo_app.app.openapi()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in methods.items()
    ]
    assert len(operations) > 10
    missing = [(path, method) for path, method, op in operations if "503" not in op["responses"]]
    assert missing == []
