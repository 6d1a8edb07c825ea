"""Say an audit row in words a staff member reads: what changed, before → after, no codes or JSON.

The log itself stays as written (reference/audit.py: action codes and the rows before and after,
hash-chained); this is only how the audit page shows it. Unknown actions, kinds and keys fall back
to their code, so a new kind of change is still shown, just less nicely.
"""

from __future__ import annotations

from hailong.protocol.i18n import N_
from hailong.server.epoch import local_text
from hailong.server.web.i18n import gettext

ACTIONS = {
    "create": N_("Thêm"), "update": N_("Sửa"), "delete": N_("Xóa"), "mark-test": N_("Đánh dấu thử nghiệm"),
    "exclude": N_("Loại khỏi số liệu"), "include": N_("Tính lại vào số liệu"), "import": N_("Nhập tệp"),
    "publish": N_("Công bố"), "provision": N_("Đăng ký kiosk"), "rotate": N_("Cấp lại mật khẩu kiosk"),
    "revoke": N_("Thu hồi kiosk"),
}  # fmt: skip
KINDS = {
    "field": N_("Lĩnh vực"), "official": N_("Cán bộ"), "counter": N_("Quầy"), "duty": N_("Phân công trực"),
    "dossier_count": N_("Số hồ sơ"), "dossier_file": N_("Tệp số hồ sơ"), "device_counter": N_("Vị trí kiosk"),
    "device_placement": N_("Vị trí kiosk"),
    "device": N_("Kiosk"), "press": N_("Lượt bấm"), "user": N_("Tài khoản"), "api_token": N_("Mã truy cập API"),
    "remarks": N_("Nhận xét, kiến nghị"), "published": N_("Báo cáo đã công bố"), "reply": N_("Giải trình"),
}  # fmt: skip
KEYS = {
    "name": N_("tên"), "active": N_("đang dùng"), "field": N_("lĩnh vực"), "counter": N_("quầy"),
    "official": N_("cán bộ"), "start_ms": N_("từ"), "end_ms": N_("đến"), "resolved": N_("số hồ sơ"),
    "month": N_("tháng"), "role": N_("vai trò"), "reason": N_("lý do"), "text": N_("nội dung"), "device": N_("kiosk"),
    "seq": N_("số thứ tự"), "dossier": N_("mã hồ sơ"), "password": N_("mật khẩu"), "username": N_("tên đăng nhập"),
    "code": N_("mã"), "sha256": N_("mã băm SHA-256"), "path": N_("tệp"), "period": N_("kỳ"),
    "convention": N_("cách tính kỳ"),
}  # fmt: skip
DELETED = N_("(xóa)")
HIDDEN = ("password_hash", "token_hash", "id", "changed_ms", "created_ms")


def describe(entry, tz: str) -> dict:
    """Return the row's action, kind and changes in the visitor's language."""
    return {
        "action": gettext(ACTIONS.get(entry.action, entry.action)),
        "kind": gettext(KINDS.get(entry.entity, entry.entity)),
        "changes": changes(entry.before, entry.after, tz),
    }


def changes(before: dict | None, after: dict | None, tz: str) -> list[str]:
    """Return one "what: before → after" line per value that changed (or was set, or removed)."""
    before, after = before or {}, after or {}
    lines = []
    for key in sorted(set(before) | set(after), key=_order):
        if key in HIDDEN or before.get(key) == after.get(key):
            continue
        name = gettext(KEYS.get(key, key))
        old, new = (_value(key, row.get(key), tz) for row in (before, after))
        if key not in before:
            lines.append(f"{name}: {new}")
        elif key not in after:
            lines.append(f"{name}: {old} → {gettext(DELETED)}")
        else:
            lines.append(f"{name}: {old} → {new}")
    return lines


def _order(key: str) -> tuple[int, str]:
    return (0 if key in ("code", "name", "username") else 1, key)


def _value(key: str, value, tz: str) -> str:
    """Write one value as staff read it: times in local dd/mm/yyyy HH:MM, yes/no, — for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("có") if value else gettext("không")
    if key.endswith("_ms") and isinstance(value, int):
        return local_text(value, tz)
    return str(value)
