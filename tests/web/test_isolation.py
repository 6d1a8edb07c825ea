"""Isolation between offices: every route of the app, with two communes' accounts and tokens.

The routes are enumerated from app.url_map: a route without a check here fails the test, so a
new page cannot ship without saying what office A's accounts see of office B's data (404 for
anything addressed by code, id or name; nothing of B's in a listing, figure or download) and
that the province sees both.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from hailong.server.accounts import users as accounts
from hailong.server.config import CollectorConfig, MqttSettings, WebSettings
from hailong.server.epoch import now_ms
from hailong.server.ingest.intake import Message, Rejected
from hailong.server.reference import catalogue, dossiers, offices, remarks, scope
from hailong.server.storage import schema as db
from hailong.server.storage.quarantine import QuarantineLimits, quarantine_rejects
from hailong.server.web import create_app
from tests.server.report_world import press_row
from tests.web.conftest import PASSWORD, SETTINGS

A, B = "xa-a", "xa-b"
# What only office B holds: none of it may reach office A's accounts and tokens.
B_MARKS = ("Trần Thị Bích", "Quầy Bích", "kb-bich", "cb-bich", "qb-bich")
A_MARKS = ("Nguyễn Văn Ánh", "Quầy Ánh", "ka-anh", "cb-anh", "qa-anh")
MONTH = date.today().strftime("%Y-%m")  # this month: the pages' default period holds it
# Messages refused at ingest: (device named, kind, how many); 10 a device and hour are stored,
# the rest only counted. A's kiosk's are A's, B's B's; those naming no kiosk are the root's.
REFUSED = (("ka-anh", "signature", 3), ("kb-bich", "invalid", 19), ("k-la", "mismatch", 5),
           (None, "invalid", 4))  # fmt: skip
# What each office's pages, API and downloads count of them (stored and only counted).
REFUSED_SEEN = {A: 3, B: 19, "tinh": 31}


@dataclass
class World:
    app: object
    engine: object
    ids: dict
    tokens: dict
    month: str


def office_data(conn, marks, kiosk_presses: int, resolved: int, remark: str) -> None:
    """Give the office acted for a field, an official on duty at a counter, a kiosk and presses."""
    name, counter_name, kiosk, official, counter = marks
    catalogue.enable_field(conn, "ho-tich", "lan")
    catalogue.add_official(conn, official, name, "lan")
    catalogue.add_counter(conn, counter, counter_name, "lan", field="ho-tich")
    catalogue.assign(conn, counter, official, now_ms() - 3_600_000, "lan", tz=SETTINGS.zone)
    catalogue.set_device_counter(conn, kiosk, counter, "lan", at_ms=now_ms() - 3_600_000,
                                 tz=SETTINGS.zone)  # fmt: skip
    at = now_ms() - 60_000
    when = datetime.now(ZoneInfo(SETTINGS.zone))
    conn.execute(insert(db.presses), [
        press_row(kiosk, s, 1 + s % 4, when, counter=counter, field="ho-tich")
        | {"at_ms": at + s} for s in range(1, kiosk_presses + 1)
    ])  # fmt: skip
    dossiers.set_count(conn, "ho-tich", MONTH, str(resolved), "lan")
    remarks.set_remarks(conn, MONTH, remark, "lan")


def refuse(conn) -> None:
    """Quarantine REFUSED through ingest's own store, as a minute ago."""
    at = now_ms() - 60_000
    rejects = [
        Rejected(Message(f"hailong/v1/{device or '+'}/press", b"{junk", None, at + i), kind,
                 "bad", device)
        for device, kind, n in REFUSED for i in range(n)
    ]  # fmt: skip
    quarantine_rejects(conn, rejects, QuarantineLimits(per_hour=10))


@pytest.fixture
def world(tmp_path) -> World:
    config = CollectorConfig(database=f"sqlite:///{tmp_path / 'c.db'}", mqtt=MqttSettings(port=1),
                             web=WebSettings(secret_key_file=tmp_path / "k"))  # fmt: skip
    app = create_app(config, settings=SETTINGS, TESTING=True, WTF_CSRF_ENABLED=False)
    engine = app.extensions["hailong"].engine
    tokens = {}
    with engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ")  # fmt: skip
        for code, name in ((A, "Xã A"), (B, "Xã B")):
            offices.add_office(conn, code, name, "commune", "tinh", "lan")
        with scope.acting_for(conn, "tinh"):
            catalogue.add_field(conn, "ho-tich", "Hộ tịch", "lan")
        for code, marks, n, resolved, remark in ((A, A_MARKS, 3, 4321, "Ghi chú của A"),
                                                 (B, B_MARKS, 7, 8765, "Ghi chú bí mật B")):  # fmt: skip
            with scope.acting_for(conn, code):
                office_data(conn, marks, n, resolved, remark)
        for code in ("tinh", A, B):
            with scope.acting_for(conn, code):
                accounts.add_user(conn, f"admin-{code}", PASSWORD, "admin", "lan")
                tokens[code] = accounts.add_token(conn, f"tok-{code}", "lan")
        with scope.acting_for(conn, A):
            accounts.add_user(conn, "cb-anh-tk", PASSWORD, "official", "lan", official="cb-anh")
        refuse(conn)
        ids = {o.code: o.id for o in offices.every_office(conn)}
    return World(app, engine, ids, tokens, date.today().strftime("%Y-%m"))


def client(world: World, username: str):
    """Return a test client signed in as the account."""
    c = world.app.test_client()
    response = c.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, username
    return c


def text(response) -> str:
    return response.get_data(as_text=True)


def shows(response, marks) -> list[str]:
    return [m for m in marks if m in text(response)]


def listing(path: str, a_marks=A_MARKS, b_marks=B_MARKS):
    """A page listing data: A's admin sees A's marks only, the province's both."""

    def check(w: World, a, b, p):
        mine, theirs, every = a.get(path), b.get(path), p.get(path)
        assert mine.status_code == 200, path
        assert shows(mine, a_marks) and shows(mine, b_marks) == [], path
        assert shows(theirs, a_marks) == [], path
        assert shows(every, b_marks) and shows(every, a_marks), path

    return check


def hidden(path: str, data: dict | None = None, method: str = "post"):
    """A route naming B's object: 404 for A, not 404 for B and the province."""

    def check(w: World, a, b, p):
        assert getattr(a, method)(path, data=data or {}).status_code == 404, path
        assert getattr(p, method)(path, data=data or {}).status_code != 404, path

    return check


def api(path: str, differs: bool = True):
    """An API answer: A's token gets nothing of B's; the province's token more than A's."""

    def check(w: World, a, b, p):
        def get(code):
            headers = {"Authorization": f"Bearer {w.tokens[code]}"}
            return w.app.test_client().get(path, headers=headers)

        mine, every = get(A), get("tinh")
        assert mine.status_code == 200 and shows(mine, B_MARKS) == [], path
        assert not differs or mine.get_json() != every.get_json(), path

    return check


def summary_totals(w: World, a, b, p):
    totals = {}
    for code in (A, B, "tinh"):
        headers = {"Authorization": f"Bearer {w.tokens[code]}"}
        totals[code] = w.app.test_client().get("/api/v1/summary", headers=headers).get_json()
    assert [totals[c]["ratings"] for c in (A, B, "tinh")] == [3, 7, 10]
    assert {c: totals[c]["screening"]["quarantined"] for c in totals} == REFUSED_SEEN


def summary_page(w: World, a, b, p):
    """The page lists its office's data, and counts only the messages its own kiosks had refused."""
    listing("/summary")(w, a, b, p)
    mine, theirs, every = (text(c.get("/summary")) for c in (a, b, p))
    assert "Sai chữ ký: 3" in mine and "Sai định dạng" not in mine
    assert "Sai định dạng: 10" in theirs and "Sai chữ ký" not in theirs
    assert all(kind in every for kind in ("Sai chữ ký: 3", "Sai định dạng: 14",
                                          "Sai mã thiết bị: 5"))  # fmt: skip
    for page, n in ((mine, 3), (theirs, 19), (every, 31)):
        assert f"<dt>Tin nhắn bị cách ly (không tính)</dt><dd>{n}</dd>" in page


def remarks_read(w: World, a, b, p):
    path = f"/admin/remarks?period={MONTH}"
    assert "Ghi chú của A" in text(a.get(path)) and "bí mật" not in text(a.get(path))
    p.post("/office", data={"office": B})  # the province chooses B: B's own remarks
    assert "Ghi chú bí mật B" in text(p.get(path))
    p.post("/office", data={"office": "tinh"})


def remarks_write(w: World, a, b, p):
    path = f"/admin/remarks?period={MONTH}"
    a.post("/admin/remarks", data={"period": MONTH, "text": "Mới"})
    assert "Ghi chú bí mật B" in text(b.get(path)) and "Mới" in text(a.get(path))


def download(w: World, a, b, p):
    mine = a.get("/summary/report.csv")
    assert mine.status_code == 200 and shows(mine, B_MARKS) == []
    assert _refused_in(text(mine)) == REFUSED_SEEN[A]
    assert _refused_in(text(p.get("/summary/report.csv"))) == REFUSED_SEEN["tinh"]
    assert "Trần Thị Bích" in text(b.get("/summary/report.csv"))


def _refused_in(report: str) -> int:
    """Return the report CSV's count of refused messages in the period."""
    rows = [line.split(",") for line in report.splitlines() if ",C2,quarantined," in line]
    return int(next(r[-1] for r in rows if r[-2] == "current"))


def dossier_page(w: World, a, b, p):
    page = text(a.get(f"/admin/dossiers?year={w.month[:4]}"))
    assert ("4321" in page or "4.321" in page) and "8765" not in page and "8.765" not in page


def writes_stay_home(table, key, path: str, data: dict):
    """A form of A's admin writes a row into A, never into B, whatever codes it names."""

    def check(w: World, a, b, p):
        with w.engine.connect() as conn:
            before = set(conn.execute(select(table).where(key)).all())
        a.post(path, data=data)
        with w.engine.connect() as conn:
            after = set(conn.execute(select(table).where(key)).all())
        made = after - before
        assert made and {row.office_id for row in made} == {w.ids[A]}, (path, made)
        assert before - after <= {r for r in before if r.office_id == w.ids[A]}, path

    return check


def refused(path: str, data: dict, table, where):
    """A form naming B's codes changes none of B's rows."""

    def check(w: World, a, b, p):
        with w.engine.connect() as conn:
            before = conn.execute(select(table).where(where)).all()
        a.post(path, data=data)
        with w.engine.connect() as conn:
            assert conn.execute(select(table).where(where)).all() == before, path

    return check


def official_page(w: World, a, b, p):
    official = client(w, "cb-anh-tk")
    page = official.get("/mine")
    assert page.status_code == 200 and shows(page, B_MARKS) == []
    official.post("/mine/reply", data={"text": "Giải trình", "period": MONTH})
    with w.engine.connect() as conn:
        assert set(conn.execute(select(db.replies.c.office_id)).scalars()) <= {w.ids[A]}


def public_board(w: World, a, b, p):
    anyone = w.app.test_client()
    assert "Xã A" in text(anyone.get("/board")) and "Xã B" in text(anyone.get("/board"))
    for path in (f"/board/{A}", f"/board/{A}/poster"):
        page = anyone.get(path)
        assert page.status_code == 200 and "Xã A" in text(page) and "Xã B" not in text(page)
    assert anyone.get("/board/nowhere").status_code == 404
    assert anyone.get("/board/nowhere/poster").status_code == 404


def chooser(w: World, a, b, p):
    assert a.post("/office", data={"office": B}).status_code == 404
    assert 'id="office-chooser"' not in text(a.get("/summary"))
    assert 'id="office-chooser"' in text(p.get("/summary"))
    assert p.post("/office", data={"office": A}).status_code == 302
    assert "Quầy Bích" not in text(p.get("/admin/counters"))  # A made its own qb-bich above
    p.post("/office", data={"office": "tinh"})  # back to every office for the other checks


def revoke_token(w: World, a, b, p):
    """A cannot revoke B's token (404, it still works); the province can."""
    headers = {"Authorization": f"Bearer {w.tokens[B]}"}
    assert a.post(f"/admin/tokens/tok-{B}/revoke").status_code == 404
    assert w.app.test_client().get("/api/v1/summary", headers=headers).status_code == 200
    assert p.post(f"/admin/tokens/tok-{B}/revoke").status_code == 302
    assert w.app.test_client().get("/api/v1/summary", headers=headers).status_code == 401
    with w.engine.begin() as conn, scope.acting_for(conn, B):
        w.tokens[B] = accounts.add_token(conn, "tok-b-2", "lan")  # for the checks after this


def province_page(w: World, a, b, p):
    """Only the root office's accounts open the province page and its downloads (else 404)."""
    for path in ("/province", "/province/report.csv"):
        assert a.get(path).status_code == 404 and b.get(path).status_code == 404, path
    page = p.get("/province")
    assert page.status_code == 200 and "Xã A" in text(page) and "Xã B" in text(page)
    assert 'href="/province"' not in text(a.get("/summary"))  # not in a commune's menu
    assert 'href="/province"' in text(p.get("/summary"))
    report = text(p.get("/province/report.csv"))
    assert f"P1,{A},Xã A,ratings,3" in report and f"P1,{B},Xã B,ratings,7" in report


def status(path: str, expected=(200, 302)):
    """A route holding no office's data: it answers, and that is all."""

    def check(w: World, a, b, p):
        assert a.get(path).status_code in expected, path

    return check


ROUTES = {
    ("GET", "admin.counters"): listing("/admin/counters"),
    ("GET", "admin.officials"): listing("/admin/officials"),
    ("GET", "admin.fields"): status("/admin/fields"),  # the one catalogue: no office's data
    ("GET", "admin.index"): status("/admin/"),
    ("GET", "admin.remarks_page"): remarks_read,
    ("POST", "admin.remarks_page"): remarks_write,
    ("POST", "admin.change"): hidden("/admin/official/cb-bich", {"name": "X", "active": "1"}),
    ("POST", "admin.change_counter"): hidden("/admin/counter/qb-bich", {"name": "X"}),
    ("POST", "admin.counters"): writes_stay_home(
        db.counters,
        db.counters.c.code == "qb-bich",
        "/admin/counters",
        {"code": "qb-bich", "name": "Q"},
    ),  # fmt: skip
    ("POST", "admin.officials"): writes_stay_home(
        db.officials,
        db.officials.c.code == "cb-new",
        "/admin/officials",
        {"code": "cb-new", "name": "Mới"},
    ),  # fmt: skip
    ("POST", "admin.fields"): hidden("/admin/fields", {"code": "moi", "name": "Mới"}),
    ("GET", "api.devices"): api("/api/v1/devices"),
    ("GET", "api.fields"): api("/api/v1/fields"),
    ("GET", "api.officials"): api("/api/v1/officials"),
    ("GET", "api.reasons"): api("/api/v1/reasons", differs=False),  # no reasons were given
    ("GET", "api.summary"): summary_totals,
    ("GET", "audit.audit"): listing("/admin/audit?limit=2000"),
    ("GET", "auth.change_password"): status("/password"),
    ("POST", "auth.change_password"): status("/password"),
    ("GET", "auth.home"): status("/"),
    ("GET", "auth.login"): status("/login"),
    ("POST", "auth.login"): status("/login"),
    ("POST", "auth.logout"): status("/login"),  # checked last of all, by signing out below
    ("GET", "auth.switch_language"): status("/lang/vi"),
    ("GET", "board.board"): public_board,
    ("GET", "board.poster"): public_board,
    ("GET", "board.office_board"): public_board,
    ("GET", "board.office_poster"): public_board,
    ("GET", "devices.fleet"): listing("/devices"),
    ("GET", "dossiers.dossier_counts"): dossier_page,
    ("POST", "dossiers.enter"): writes_stay_home(
        db.dossier_counts,
        db.dossier_counts.c.resolved == 99,
        "/admin/dossiers",
        {"field": "ho-tich", "month": MONTH, "resolved": "99"},
    ),  # fmt: skip
    ("POST", "dossiers.upload"): writes_stay_home(
        db.dossier_counts,
        db.dossier_counts.c.resolved == 98,
        "/admin/dossiers/import",
        {"file": (io.BytesIO(f"field,month,resolved\nho-tich,{MONTH},98\n".encode()), "d.csv")},
    ),  # fmt: skip
    ("GET", "duty.duty"): listing("/admin/duty"),
    ("POST", "duty.assign"): refused(
        "/admin/duty",
        {"counter": "qb-bich", "official": "cb-bich"},
        db.duty,
        db.duty.c.counter == "qb-bich",
    ),  # fmt: skip
    ("POST", "duty.release"): refused(
        "/admin/duty/end", {"counter": "qb-bich"}, db.duty, db.duty.c.counter == "qb-bich"
    ),  # fmt: skip
    ("GET", "explain.ranking"): status("/explain/ranking"),
    ("GET", "healthz"): status("/healthz", (200, 503)),
    ("GET", "kiosks.confirm_revoke"): hidden("/admin/kiosks/revoke?device=kb-bich", method="get"),
    ("GET", "kiosks.kiosks"): listing("/admin/kiosks"),
    ("POST", "kiosks.mark_range"): hidden("/admin/kiosks/test/range", {"device": "kb-bich"}),
    ("POST", "kiosks.mark_test"): hidden("/admin/kiosks/test", {"device": "kb-bich", "seqs": "1"}),
    ("POST", "kiosks.place"): hidden(
        "/admin/kiosks/place", {"device": "kb-bich", "counter": "qa-anh"}
    ),
    ("GET", "kiosks.preview_range"): hidden(
        "/admin/kiosks/test/preview?device=kb-bich", method="get"
    ),
    ("POST", "kiosks.register"): hidden(
        "/admin/kiosks/register", {"device": "kb-bich", "counter": "qa-anh"}
    ),
    ("POST", "kiosks.revoke"): hidden("/admin/kiosks/revoke", {"device": "kb-bich", "confirm": ""}),
    ("GET", "mine.mine"): official_page,
    ("POST", "mine.reply"): official_page,
    ("POST", "office.choose"): chooser,
    ("GET", "province.download"): province_page,
    ("GET", "province.province"): province_page,
    ("GET", "static"): status("/static/style.css"),
    ("GET", "summary.download"): download,
    ("GET", "summary.summary"): summary_page,
    ("POST", "users.add"): writes_stay_home(
        db.users,
        db.users.c.username == "moi",
        "/admin/users",
        {"username": "moi", "password": PASSWORD, "role": "staff"},
    ),  # fmt: skip
    ("POST", "users.add_token"): writes_stay_home(
        db.api_tokens, db.api_tokens.c.name == "tok-moi", "/admin/tokens", {"name": "tok-moi"}
    ),  # fmt: skip
    ("POST", "users.change"): hidden(f"/admin/users/admin-{B}", {"role": "admin", "active": "1"}),
    ("POST", "users.revoke"): revoke_token,
    ("GET", "users.users"): listing(
        "/admin/users", (f"admin-{A}", f"tok-{A}"), (f"admin-{B}", f"tok-{B}")
    ),  # fmt: skip
}


def test_every_route_keeps_office_b_from_office_a(world):
    routes = {(m, r.endpoint) for r in world.app.url_map.iter_rules()
              for m in r.methods - {"HEAD", "OPTIONS"}}  # fmt: skip
    assert routes - set(ROUTES) == set(), "routes without an isolation check"
    assert set(ROUTES) - routes == set(), "checks of routes that are gone"
    a, b, p = (client(world, f"admin-{code}") for code in (A, B, "tinh"))
    for _key, check in sorted(ROUTES.items()):
        check(world, a, b, p)
    assert a.post("/logout").status_code == 302 and a.get("/summary").status_code == 302
