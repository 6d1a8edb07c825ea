"""The audit page says what changed in words (before → after), not action codes and JSON (issue 14)."""

from __future__ import annotations

from flask import g

from hailong.server.reference import catalogue as reference
from hailong.server.reference.audit import Entry
from hailong.server.web.audit_words import ACTIONS, KEYS, KINDS, changes, describe
from tests.web.test_i18n import translations
from tests.web.test_security import _sign_in

TZ = "Asia/Ho_Chi_Minh"
MARCH_5_0800 = 1_709_600_400_000  # 05/03/2024 08:00 in Hồ Chí Minh City


def test_changes_are_said_value_by_value(served):
    with served.app.test_request_context("/"):
        assert changes({"code": "ho-tich", "name": "Hộ tịch", "active": True},
                       {"code": "ho-tich", "name": "Hộ tịch (mới)", "active": False}, TZ) == [
            "tên: Hộ tịch → Hộ tịch (mới)", "đang dùng: có → không"]  # fmt: skip
        assert changes({"end_ms": None}, {"end_ms": MARCH_5_0800}, TZ) == [
            "đến: — → 05/03/2024 08:00"
        ]
        assert changes(None, {"code": "Q9", "name": "Quầy 9"}, TZ) == ["mã: Q9", "tên: Quầy 9"]
        assert changes({"password_hash": "$argon2id$…", "role": "staff"},
                       {"password_hash": "$argon2id$other", "role": "admin"}, TZ) == [
            "vai trò: staff → admin"]  # fmt: skip
    with served.app.test_request_context("/"):
        g.lang = "en"  # what the request hook sets for an English visitor
        entry = Entry(1, 0, "lan", "update", "field", "ho-tich", {"name": "A"}, {"name": "B"})
        said = describe(entry, TZ)
        assert (said["action"], said["kind"], said["changes"]) == (
            "Changed",
            "Field",
            ["name: A → B"],
        )


def test_every_word_of_the_audit_page_has_its_english():
    words = [*ACTIONS.values(), *KINDS.values(), *KEYS.values(), "(xóa)", "có", "không"]
    catalog = translations.read("hailong-collector")
    assert [w for w in words if not getattr(catalog.get(w), "string", "")] == []


def test_the_audit_page_shows_a_rename_in_words(served):
    with served.engine.begin() as conn:
        reference.set_field(conn, "ho-tich", "lan", name="Hộ tịch - Chứng thực")
    client = served.app.test_client()
    _sign_in(client, "thongke")
    page = client.get("/admin/audit?entity=field").get_data(as_text=True)
    assert "Sửa" in page and "Lĩnh vực" in page
    assert "tên: Hộ tịch → Hộ tịch - Chứng thực" in page
    assert '{"' not in page and "&#34;name&#34;" not in page  # no JSON left on the page
