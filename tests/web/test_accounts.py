"""Accounts, tokens and the login limit, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hailong.server.accounts import users as accounts
from hailong.server.errors import InputError
from hailong.server.storage.db import open_database
from hailong.server.storage.schema import users

PASSWORD = "một mật khẩu dài"


@pytest.fixture
def engine(database_url):
    engine = open_database(database_url)  # the account tables come with the schema
    open_database(database_url).dispose()  # twice: the second finds them and does nothing
    yield engine
    engine.dispose()


def test_passwords_are_stored_as_argon2id_and_checked(engine):
    with engine.begin() as conn:
        accounts.add_user(conn, "Thu.NV", PASSWORD, "staff", "cli", name="Nguyễn Văn Thu")
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with engine.begin() as conn:
        assert accounts.authenticate(conn, "thu.nv", PASSWORD).role == "staff"
        assert accounts.authenticate(conn, "thu.nv", PASSWORD + "x") is None
        assert accounts.authenticate(conn, "nobody", PASSWORD) is None


def test_a_changed_password_or_deactivation_ends_old_sessions(engine):
    with engine.begin() as conn:
        before = accounts.add_user(conn, "lan", PASSWORD, "leader", "cli")
        assert accounts.set_user(conn, "lan", "admin", password="mật khẩu mới 2025")
        after = accounts.find_user(conn, "lan")
        assert after.changed_ms >= before.changed_ms
        assert accounts.authenticate(conn, "lan", PASSWORD) is None
        accounts.set_user(conn, "lan", "admin", active=False)
        assert accounts.authenticate(conn, "lan", "mật khẩu mới 2025") is None
        assert not accounts.set_user(conn, "lan", "admin", active=False)


@pytest.mark.parametrize(("username", "password", "role"), [
    ("a b", PASSWORD, "staff"), ("x", PASSWORD, "staff"), ("ok", "short", "staff"),
    ("ok", PASSWORD, "root"),
])  # fmt: skip
def test_bad_accounts_are_refused(engine, username, password, role):
    with engine.begin() as conn, pytest.raises(InputError):
        accounts.add_user(conn, username, password, role, "cli")


def test_roles(engine):
    with engine.begin() as conn:
        admin = accounts.add_user(conn, "admin", PASSWORD, "admin", "cli")
        leader = accounts.add_user(conn, "leader", PASSWORD, "leader", "cli")
    assert admin.can("staff") and admin.can("admin")
    assert leader.can() and not leader.can("staff") and not leader.can("admin")


def test_tokens_are_kept_as_digests_and_can_be_revoked(engine):
    with engine.begin() as conn:
        token = accounts.add_token(conn, "erp", "cli")
        assert accounts.token_name(conn, token) == "erp"
        assert all(token not in str(value) for row in accounts.list_tokens(conn)
                   for value in row.values())  # fmt: skip
        accounts.revoke_token(conn, "erp", "cli")
        assert accounts.token_name(conn, token) is None


def test_the_login_limit_counts_per_account_and_per_address(engine):
    def claim(name, address):
        with engine.begin() as conn:
            return accounts.claim_attempt(conn, name, address, limit=3, window_s=60)

    assert [claim("lan", "10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert claim("lan", "10.0.0.2") is False  # the account is locked wherever it is tried
    with engine.begin() as conn:
        accounts.forget_attempts(conn, "lan")  # as after a successful login
    assert claim("lan", "10.0.0.1")
    # An address may try 4 × limit attempts over all accounts.
    results = [claim(f"user{i}", "10.0.0.9") for i in range(13)]
    assert results.count(True) == 12 and results[-1] is False
