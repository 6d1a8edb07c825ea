"""Say an audit row in words a staff member reads: what changed, before → after, no codes or JSON.

The log itself stays as written (reference/audit.py: action codes and the rows before and after,
hash-chained); this is only how the audit page shows it. Unknown actions, kinds and keys fall back
to their code, so a new kind of change is still shown, just less nicely.
"""

from __future__ import annotations

from hailong.server.epoch import local_text
from hailong.server.web.i18n import gettext

ACTIONS = {
    "create": "Thêm", "update": "Sửa", "delete": "Xóa", "mark-test": "Đánh dấu thử nghiệm",
    "exclude": "Loại khỏi số liệu", "include": "Tính lại vào số liệu", "import": "Nhập tệp",
    "publish": "Công bố", "provision": "Đăng ký kiosk", "rotate": "Cấp lại mật khẩu kiosk",
    "revoke": "Thu hồi kiosk",
}  # fmt: skip
KINDS = {
    "field": "Lĩnh vực", "official": "Cán bộ", "counter": "Quầy", "duty": "Phân công trực",
    "dossier_count": "Số hồ sơ", "dossier_file": "Tệp số hồ sơ", "device_counter": "Vị trí kiosk",
    "device_placement": "Vị trí kiosk",
    "device": "Kiosk", "press": "Lượt bấm", "user": "Tài khoản", "api_token": "Mã truy cập API",
    "remarks": "Nhận xét, kiến nghị", "published": "Báo cáo đã công bố", "reply": "Giải trình",
}  # fmt: skip
KEYS = {
    "name": "tên", "active": "đang dùng", "field": "lĩnh vực", "counter": "quầy",
    "official": "cán bộ", "start_ms": "từ", "end_ms": "đến", "resolved": "số hồ sơ",
    "month": "tháng", "role": "vai trò", "reason": "lý do", "text": "nội dung", "device": "kiosk",
    "seq": "số thứ tự", "dossier": "mã hồ sơ", "password": "mật khẩu", "username": "tên đăng nhập",
    "code": "mã", "sha256": "mã băm SHA-256", "path": "tệp", "period": "kỳ",
    "convention": "cách tính kỳ",
}  # fmt: skip
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
            lines.append(f"{name}: {old} → {gettext('(xóa)')}")
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
