"""Fixtures of the collector's tests: an empty database on every backend."""

from __future__ import annotations

import pytest

from hailong.server.cli import main
from hailong.server.storage.db import open_database


@pytest.fixture
def engine(database_url):
    """Open an empty, migrated database (test files seed their own by overriding this)."""
    engine = open_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def cli(tmp_path, capsys, database_url):
    """Run `hailong-collector --config <tmp> ARGS…`; return (status, stdout, stderr)."""
    (tmp_path / "c.toml").write_text(f'database = "{database_url}"\n')

    def run(*args):
        status = main(["--config", str(tmp_path / "c.toml"), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run
