"""The province page shows the root office's own kiosks as a row of their own, with no chooser."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import insert

from hailong.server.accounts import users as accounts
from hailong.server.config import CollectorConfig, MqttSettings, WebSettings
from hailong.server.reference import offices, scope
from hailong.server.storage import schema as db
from hailong.server.web import create_app
from tests.server.report_world import at, press_row
from tests.web.conftest import PASSWORD, SETTINGS

MARCH = "period=2024-03&convention=calendar"
RATINGS = {"kt": [4, 4, 3, 1], "ka": [4, 3, 2, 2, 1]}  # the province's own kiosk, Xã A's


def test_the_province_page_rows_the_root_offices_own_kiosks(tmp_path):
    config = CollectorConfig(database=f"sqlite:///{tmp_path / 'c.db'}", mqtt=MqttSettings(port=1),
                             web=WebSettings(secret_key_file=tmp_path / "k"))  # fmt: skip
    app = create_app(config, settings=SETTINGS, TESTING=True, WTF_CSRF_ENABLED=False)
    engine = app.extensions["hailong"].engine
    with engine.begin() as conn:
        offices.set_office(conn, "don-vi", "lan", kind="province", new_code="tinh",
                           name="Sở Nội vụ tỉnh")  # fmt: skip
        offices.add_office(conn, "xa-a", "Xã A", "commune", "tinh", "lan")
        with scope.acting_for(conn, "tinh"):
            accounts.add_user(conn, "admin-tinh", PASSWORD, "admin", "lan")
        ids = {o.code: o.id for o in offices.every_office(conn)}
        conn.execute(insert(db.devices), [{"device": "kt", "acked_upto": 0, "office_id": ids["tinh"]},
                                          {"device": "ka", "acked_upto": 0, "office_id": ids["xa-a"]}])  # fmt: skip
        conn.execute(insert(db.presses), [
            press_row(kiosk, i, r, at("2024-03-05", "09:00") + timedelta(minutes=i))
            for kiosk, ratings in RATINGS.items() for i, r in enumerate(ratings, start=1)
        ])  # fmt: skip
    web = app.test_client()
    signed_in = web.post("/login", data={"username": "admin-tinh", "password": PASSWORD})
    assert signed_in.status_code == 302
    page = web.get(f"/province?{MARCH}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr id="office-([a-z-]+)"[^>]*>(.*?)</tr>', page, re.S))
    assert set(rows) == {"tinh", "xa-a"}
    assert "Sở Nội vụ tỉnh (cấp tỉnh)" in rows["tinh"]
    assert 'name="office"' not in rows["tinh"]  # its own kiosks: no office page to switch to
    assert 'name="office" value="xa-a"' in rows["xa-a"]
    report = web.get(f"/province/report.csv?{MARCH}").get_data(as_text=True)
    assert "P1,tinh,Sở Nội vụ tỉnh (cấp tỉnh),ratings,4" in report
    assert "P1,xa-a,Xã A,ratings,5" in report and "P1,province,Toàn tỉnh,ratings,9" in report
    engine.dispose()
