"""Fixtures of the collector's tests: an empty database on every backend."""

from __future__ import annotations

import pytest

from hailong.server.storage.db import open_database


@pytest.fixture
def engine(database_url):
    """Open an empty, migrated database (test files seed their own by overriding this)."""
    engine = open_database(database_url)
    yield engine
    engine.dispose()
