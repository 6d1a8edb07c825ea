"""The summary page shows a period's own figures and, apart, the late arrivals of published ones."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import insert

from hailong.server.reporting.publish import publish
from hailong.server.storage import db
from tests.server.report_world import at, ms, press_row
from tests.web.conftest import SETTINGS
from tests.web.test_board_public import get, signed_in


def test_the_summary_page_shows_late_arrivals_on_their_own(serve, tmp_path):
    served = serve()
    published_at = ms(at("2024-04-28", "10:00"))
    publish(served.engine, date(2024, 4, 28), tmp_path / "published", SETTINGS,
            convention="calendar", clock=lambda: published_at)  # fmt: skip
    late = [press_row("k9", n, rating, at("2024-03-20", "09:00"), field="ho-tich",
                      received_ms=ms(at("2024-04-29", "08:00")))
            for n, rating in ((1, 1), (2, 2))]  # fmt: skip
    with served.engine.begin() as conn:
        conn.execute(insert(db.presses), late)
    staff = signed_in(served)
    _status, html, _ = get(served.path("/summary?period=2024-04"), staff)
    section = re.search(r'<section class="card" id="late">.*?</section>', html, re.S)[0]
    assert "Tháng 03/2024" in section and "28/04/2024" in section
    row = re.search(r"<tbody>(.*?)</tbody>", section, re.S)[1]
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["2", "0", "0", "1", "1", "0,0%"]
    _status, may, _ = get(served.path("/summary?period=2024-05"), staff)
    assert 'id="late"' not in may  # nothing arrived late during May
