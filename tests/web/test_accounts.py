"""Accounts, tokens, sessions and the login limit, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hailong.server.accounts import sessions, throttle
from hailong.server.accounts import users as accounts
from hailong.server.epoch import now_ms
from hailong.server.errors import InputError
from hailong.server.storage.db import open_database
from hailong.server.storage.schema import sessions as sessions_table
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


@pytest.fixture
def clock(monkeypatch):
    """Stop the login limit's clock at a fixed instant; tests move it by hand."""
    now = [1_700_000_000_000]
    monkeypatch.setattr(throttle, "now_ms", lambda: now[0])
    return now


def claim(engine, name, address, free=3):
    with engine.begin() as conn:
        return throttle.claim_attempt(conn, name, address, free=free, window_s=3600)


def test_failures_from_one_address_slow_that_address_with_growing_delays(engine, clock):
    assert [claim(engine, "lan", "10.0.0.1") for _ in range(4)] == [0, 0, 0, 1]
    waits = []
    for _ in range(11):
        waits.append(claim(engine, "lan", "10.0.0.1"))
        clock[0] += waits[-1] * 1000 - 1
        assert claim(engine, "lan", "10.0.0.1") > 0  # a millisecond early: still refused
        clock[0] += 1
        assert claim(engine, "lan", "10.0.0.1") == 0  # after the wait, one more try
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_an_attacker_does_not_slow_the_account_from_another_address(engine, clock):
    for _ in range(10):
        claim(engine, "admin", "10.0.0.66")
    assert claim(engine, "admin", "10.0.0.66") > 0
    assert claim(engine, "admin", "10.0.0.2") == 0
    with engine.begin() as conn:  # the admin signs in from 10.0.0.2 ...
        throttle.forget_attempts(conn, "admin", "10.0.0.2")
    assert claim(engine, "admin", "10.0.0.66") > 0  # ... which does not reset the attacker


def test_an_address_failing_across_accounts_is_slowed_alone(engine, clock):
    waits = [claim(engine, f"user{i}", "10.0.0.9") for i in range(4 * 3 + 1)]
    assert waits.count(0) == 12 and waits[-1] == 1  # 4 × free over all accounts, then delays
    assert claim(engine, "user0", "10.0.0.10") == 0


def test_sessions_end_at_logout_new_password_and_deactivation(engine):
    with engine.begin() as conn:
        lan = accounts.add_user(conn, "lan", PASSWORD, "leader", "cli")
        first, second = (sessions.start_session(conn, lan.id, 3600) for _ in range(2))
        assert sessions.session_user(conn, first, 3600).username == "lan"
        sessions.end_session(conn, first)
        assert sessions.session_user(conn, first, 3600) is None
        assert sessions.session_user(conn, second, 3600).username == "lan"  # only that one
        accounts.set_user(conn, "lan", "admin", role="staff")  # a role change keeps sessions
        assert sessions.session_user(conn, second, 3600).role == "staff"
        accounts.set_user(conn, "lan", "admin", password="mật khẩu mới 2025")
        assert sessions.session_user(conn, second, 3600) is None
        third = sessions.start_session(conn, lan.id, 3600)
        accounts.set_user(conn, "lan", "admin", active=False)
        assert sessions.session_user(conn, third, 3600) is None
        stored = conn.execute(select(sessions_table.c.digest)).scalars().all()
    assert first not in stored and second not in stored and third not in stored


def test_a_session_ends_when_its_lifetime_is_over(engine, monkeypatch):
    with engine.begin() as conn:
        lan = accounts.add_user(conn, "lan", PASSWORD, "leader", "cli")
        session_id = sessions.start_session(conn, lan.id, 60)
    monkeypatch.setattr(sessions, "now_ms", lambda: now_ms() + 61_000)
    with engine.connect() as conn:
        assert sessions.session_user(conn, session_id, 60) is None
        assert sessions.session_user(conn, None, 60) is None  # a cookie without an id
