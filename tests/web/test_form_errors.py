"""Issue 14: every message a form shows is Vietnamese, or English when chosen; bad input stores
nothing. Each form gets bad input in both languages through the Flask client."""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import select

from hailong.server.storage.schema import metadata
from tests.web.conftest import PASSWORD
from tests.web.test_security import _csrf, _sign_in

# Tables a page view or a sign-in writes by itself: sessions, throttling, the report caches.
BOOKKEEPING = ("sessions", "login_attempts", "report_")
# (who, page with the form, where it posts, the form, what the page says in vi, and in en)
CASES = {
    "field exists": ("thongke", "/admin/fields", "/admin/fields",
                     {"code": "ho-tich", "name": "Hộ tịch mới"},
                     "Không lưu được: Lĩnh vực ho-tich đã có.",
                     "Not saved: field ho-tich already exists."),
    "official code": ("thongke", "/admin/officials", "/admin/officials",
                      {"code": "cb 9", "name": "Phạm Văn Chín"},
                      "Không lưu được: Mã cán bộ “cb 9” phải có 1..64 ký tự, không có dấu cách.",
                      "Not saved: official code 'cb 9' must be 1..64 characters without spaces."),
    "counter field": ("thongke", "/admin/counters", "/admin/counters",
                      {"code": "Q9", "name": "Quầy 9", "field": "khong-co"},
                      "Không lưu được: Không có lĩnh vực “khong-co”.",
                      "Not saved: unknown field 'khong-co' (add it with `field add`)."),
    "duty date": ("thongke", "/admin/duty", "/admin/duty",
                  {"counter": "Q1", "official": "cb-02", "start": "32/13/2026"},
                  "Không lưu được: Không có ngày “32/13/2026”.",
                  "Not saved: no such date '32/13/2026'."),
    "duty end": ("thongke", "/admin/duty", "/admin/duty/end",
                 {"counter": "Q1", "end": "hôm qua"},
                 "Không lưu được: Không đọc được ngày “hôm”: hãy viết dd/mm/yyyy, ví dụ 05/03/2024.",
                 "Not saved: cannot read date 'hôm': expected dd/mm/yyyy (e.g. 05/03/2024) or yyyy-mm-dd."),
    "dossier count": ("thongke", "/admin/dossiers", "/admin/dossiers",
                      {"field": "ho-tich", "month": "2024-03", "resolved": "nhiều"},
                      "Không lưu được: Số hồ sơ đã giải quyết: “nhiều” không phải số nguyên hồ sơ (ví dụ 125).",
                      "Not saved: Resolved dossiers: 'nhiều' is not a whole number of dossiers (e.g. 125)."),
    "remarks period": ("thongke", "/admin/remarks?period=2024-03", "/admin/remarks",
                       {"period": "2024-13", "text": "Đề nghị"},
                       "Không lưu được: Không đọc được kỳ báo cáo “2024-13”.",
                       "Not saved: period: cannot read '2024-13'."),
    "kiosk place": ("thongke", "/admin/kiosks", "/admin/kiosks/place",
                    {"device": "k1", "counter": "Q9"},
                    "Không lưu được: Không có quầy “Q9”.",
                    "Not saved: unknown counter 'Q9' (add it with `counter add`)."),
    "kiosk test seqs": ("thongke", "/admin/kiosks", "/admin/kiosks/test",
                        {"device": "k1", "seqs": "năm", "reason": "thử"},
                        "Không lưu được: “năm” không phải số thứ tự hay khoảng như 40-45.",
                        "Not saved: 'năm' is not a seq or a range like 40-45."),
    "kiosk test range": ("thongke", "/admin/kiosks", "/admin/kiosks/test/range",
                         {"device": "k1", "start": "32/13/2026", "end": "01/01/2026", "reason": "thử"},
                         "Không đọc được thời gian: Không có ngày “32/13/2026”.",
                         "Cannot read the time: no such date '32/13/2026'."),
    "kiosk register": ("admin", "/admin/kiosks", "/admin/kiosks/register",
                       {"device": "K 1", "counter": "Q1"},
                       "Không lưu được: Mã kiosk “K 1” không dùng được: 1..32 ký tự a-z, 0-9 hoặc “-”, "
                       "bắt đầu bằng chữ hoặc số, không trùng tên dành riêng.",
                       "Not saved: device 'K 1': 1..32 of a-z 0-9 -, starting with a letter or digit, "
                       "not a reserved name."),
    "unknown kiosk": ("admin", "/admin/kiosks", "/admin/kiosks/revoke",
                      {"device": "k-khong-co", "confirm": "1"},
                      "Không lưu được: Không có kiosk “k-khong-co”.",
                      "Not saved: unknown kiosk 'k-khong-co'."),
    "user exists": ("admin", "/admin/users", "/admin/users",
                    {"username": "thongke", "password": PASSWORD, "role": "staff", "name": "X"},
                    "Không lưu được: Tài khoản thongke đã có.",
                    "Not saved: user thongke already exists."),
    "short password": ("admin", "/admin/users", "/admin/users",
                       {"username": "moi", "password": "ngan", "role": "staff", "name": "Mới"},
                       "Không lưu được: Mật khẩu phải có ít nhất 10 ký tự.",
                       "Not saved: the password must have at least 10 characters."),
    "own password": ("thongke", "/password", "/password",
                     {"current": "sai-mat-khau-roi", "new": "mat-khau-moi-dai", "again": "mat-khau-moi-dai"},
                     "Mật khẩu hiện tại không đúng.",
                     "The current password is wrong."),
}  # fmt: skip


def stored(engine) -> dict:
    """Return every row of every table staff data lives in."""
    with engine.connect() as conn:
        return {name: sorted(map(repr, conn.execute(select(table))))
                for name, table in metadata.tables.items() if not name.startswith(BOOKKEEPING)}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_form_with_bad_input_says_why_in_the_page_language_and_stores_nothing(served, case):
    who, form_page, target, form, vietnamese, english = CASES[case]
    client = served.app.test_client()
    _sign_in(client, who)
    before = stored(served.engine)
    for language, expected, unexpected in (
        ("vi", vietnamese, english),
        ("en", english, vietnamese),
    ):
        client.get(f"/lang/{language}")
        token = _csrf(client, form_page)
        answer = client.post(target, data={**form, "csrf_token": token}, follow_redirects=True)
        page = html.unescape(answer.get_data(as_text=True))
        assert expected in page, page[page.find("alert") - 200 :][:800]
        assert unexpected not in page
    assert stored(served.engine) == before


def test_an_imported_file_s_problems_are_listed_in_the_page_language(served):
    client = served.app.test_client()
    _sign_in(client, "thongke")
    before = stored(served.engine)
    body = b"field,month,resolved\nho-tich,2024-13,5\n"
    said = {}
    for language in ("vi", "en"):
        client.get(f"/lang/{language}")
        token = _csrf(client, "/admin/dossiers")
        answer = client.post("/admin/dossiers/import", follow_redirects=True, data={
            "csrf_token": token, "file": (io.BytesIO(body), "so-ho-so.csv")})  # fmt: skip
        said[language] = html.unescape(answer.get_data(as_text=True))
    assert "Tệp có 1 lỗi; chưa nhập dòng nào:" in said["vi"]
    assert (
        "Dòng 2: month: “2024-13” không phải tháng trong khoảng 2000-01 đến 2099-12" in said["vi"]
    )
    assert "The file has 1 problem(s); no line was imported:" in said["en"]
    assert "line 2: month: '2024-13' is not a month between 2000-01 and 2099-12" in said["en"]
    assert stored(served.engine) == before
