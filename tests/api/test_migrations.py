"""The Alembic migrations build the schema the models describe: a table or column added to
`api/db.py` without its migration would exist in tests (fresh databases) but not in a
user's upgraded one."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.db import Base, get_database
from api.settings import Settings


def test_migrations_match_the_models(settings: Settings) -> None:
    settings.make_data_dir()
    database = get_database(settings.sqlalchemy_url)  # migrated to head
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_postgresql_keeps_the_urls_own_options_beside_iso_dates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A schema chosen in the URL (or PGOPTIONS) survives the ISO date style ridealong asks
    the server for; libpq takes one `options`, so they are joined, not replaced."""
    from api.db import _with_iso_dates

    monkeypatch.delenv("PGOPTIONS", raising=False)
    url = "postgresql+psycopg://u@db/ridealong"
    assert _with_iso_dates(url) == "-c datestyle=ISO"
    assert _with_iso_dates(f"{url}?options=-csearch_path%3Dridealong") == (
        "-csearch_path=ridealong -c datestyle=ISO"
    )
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=5000")
    assert _with_iso_dates(url) == "-c statement_timeout=5000 -c datestyle=ISO"
