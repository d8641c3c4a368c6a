"""The Alembic migrations build the schema the models describe: a table or column added to
`api/db.py` without its migration would exist in tests (fresh databases) but not in a
user's upgraded one."""

from __future__ import annotations

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
