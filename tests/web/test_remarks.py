"""Staff write a period's remarks (table D) on a page; leaders only read them."""

from __future__ import annotations

from hailong.server.reference.remarks import remarks_for
from tests.web.test_security import _csrf, _sign_in


def test_staff_write_remarks_shown_in_the_summary(served):
    client = served.app.test_client()
    _sign_in(client, "thongke")
    page = client.get("/summary?period=2024-03").get_data(as_text=True)
    assert "/admin/remarks?period=2024-03" in page
    token = _csrf(client, "/admin/remarks?period=2024-03")
    text = "Đề nghị bố trí thêm máy tại quầy 2. <script>alert(1)</script>"
    answer = client.post("/admin/remarks", data={"period": "2024-03", "text": text,
                                                  "csrf_token": token})  # fmt: skip
    assert answer.status_code == 302
    with served.engine.connect() as conn:
        assert remarks_for(conn, "2024-03") == text
    page = client.get("/summary?period=2024-03").get_data(as_text=True)
    assert "Đề nghị bố trí thêm máy tại quầy 2." in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_bad_period_saves_nothing_and_leaders_cannot_write(served):
    staff = served.app.test_client()
    _sign_in(staff, "thongke")
    token = _csrf(staff, "/admin/remarks?period=2024-03")
    answer = staff.post("/admin/remarks", data={"period": "2024-13", "text": "x",
                                                 "csrf_token": token}, follow_redirects=True)  # fmt: skip
    assert "Không lưu được" in answer.get_data(as_text=True)
    leader = served.app.test_client()
    _sign_in(leader, "leader")
    assert leader.get("/admin/remarks?period=2024-03").status_code == 403
