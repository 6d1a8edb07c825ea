"""Officials' accounts: linked to one official on record, apart from every staff role."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hailong.server.accounts import users as accounts
from hailong.server.cli import main
from hailong.server.errors import InputError
from hailong.server.reference.audit import recent
from hailong.server.storage.db import open_database
from hailong.server.storage.schema import users
from tests.server.report_world import build_world

PASSWORD = "một mật khẩu đủ dài"


@pytest.fixture
def engine(database_url):
    """The office of report_world.py (officials cb-01..cb-03) in a fresh database."""
    engine = open_database(database_url)
    build_world(engine)
    yield engine
    engine.dispose()


def add(engine, username: str, role: str, official: str | None = None):
    with engine.begin() as conn:
        return accounts.add_user(conn, username, PASSWORD, role, "admin", official=official)


def test_an_official_account_belongs_to_an_official_on_record(engine):
    made = add(engine, "an", "official", " cb-01 ")
    assert (made.role, made.official) == ("official", "cb-01")
    with engine.connect() as conn:
        assert accounts.authenticate(conn, "an", PASSWORD).official == "cb-01"
        assert recent(conn, entity="user")[0].after["official"] == "cb-01"


@pytest.mark.parametrize(("role", "official", "problem"), [
    ("official", None, "needs the official's code"),
    ("official", "cb-99", "unknown official"),
    ("staff", "cb-01", "only an official account"),
])  # fmt: skip
def test_a_wrong_link_is_refused_and_no_account_is_made(engine, role, official, problem):
    with pytest.raises(InputError, match=problem):
        add(engine, "x1", role, official)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar() == 0


def test_leaving_the_official_role_drops_the_link(engine):
    add(engine, "an", "official", "cb-01")
    with engine.begin() as conn:
        assert accounts.set_user(conn, "an", "admin", official="cb-02")
        assert accounts.find_user(conn, "an").official == "cb-02"
        assert accounts.set_user(conn, "an", "admin", role="leader")
        assert accounts.find_user(conn, "an").official is None
        with pytest.raises(InputError, match="needs the official's code"):
            accounts.set_user(conn, "an", "admin", role="official")


def test_an_official_holds_no_staff_role_and_no_staff_member_holds_theirs():
    def user(role):
        return accounts.User(
            1, "u", "", role, True, 0, official="cb-01" if role == "official" else None
        )

    official, admin = user("official"), user("admin")
    assert official.can("official") and not official.can()
    assert not any(official.can(r) for r in ("admin", "leader", "staff"))
    assert admin.can() and admin.can("staff") and not admin.can("official")
    assert not user("leader").can("official")


def test_the_user_command_links_an_official(engine, database_url, tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(f'database = "{database_url}"\n')
    secret = tmp_path / "password"
    secret.write_text(PASSWORD)

    def run(*args):
        return main(["--config", str(config), "user", *args, "--actor", "technician"])

    assert run("add", "an", "--role", "official", "--official", "cb-03",
               "--password-file", str(secret)) == 0  # fmt: skip
    assert "user an added (official)" in capsys.readouterr().out
    assert run("add", "binh", "--role", "official", "--password-file", str(secret)) == 2
    assert "needs the official's code" in capsys.readouterr().err
    assert main(["--config", str(config), "user", "list"]) == 0
    assert "(official cb-03)" in capsys.readouterr().out
    assert run("set", "an", "--official", "cb-02") == 0
    with engine.connect() as conn:
        assert accounts.find_user(conn, "an").official == "cb-02"
        assert accounts.find_user(conn, "binh") is None
