"""The administrative frame of a report (NĐ 30/2020), as plain strings every format lays out."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from hailong.server.errors import ConfigError
from hailong.server.reporting.data import ReportData
from hailong.server.reporting.periods import Period, format_date_vi, format_dmy

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
DOCUMENT_KIND = "BÁO CÁO"
SUBJECT = "KẾT QUẢ KHẢO SÁT MỨC ĐỘ HÀI LÒNG CỦA TỔ CHỨC, CÔNG DÂN"
RECIPIENTS_LABEL = "Nơi nhận:"
# The levels' colours on the pages (web/svg.py LEVEL_COLOURS): a printed chart reads the same.
LEVEL_COLOURS = {4: "1a6b34", 3: "4b8f3a", 2: "8a6d00", 1: "b3261e"}
ADDRESSEE_LABEL = "Kính gửi"
# Recipients that are no addressee: "as above" and the office's own archive.
NOT_ADDRESSED = ("như trên", "lưu")
# A unit named by its kind alone is the default left unset, not a name.
BARE_UNITS = {"ỦY BAN NHÂN DÂN", "ỦY BAN NHÂN DÂN XÃ", "ỦY BAN NHÂN DÂN PHƯỜNG", "UBND XÃ", "UBND"}
REQUIRED = {
    "unit_name": 'tên đơn vị (ví dụ "Ủy ban nhân dân xã An Bình")',
    "place": 'địa danh ghi trước ngày tháng (ví dụ "An Bình")',
}


@dataclass(frozen=True)
class Frame:
    """The header, title, signature and recipients of one report."""

    parent: str  # governing body above the unit, "" when none
    unit: str
    number: str  # "Số: …/BC-UBND"
    nation: str
    motto: str
    place_date: str  # "Xã An Bình, ngày 05 tháng 03 năm 2024"
    title: tuple[str, ...]  # "BÁO CÁO", the subject, the period
    range_line: str  # "(Từ ngày 01/03/2024 đến ngày 31/03/2024)"
    addressees: str  # "Kính gửi: Ủy ban nhân dân huyện X." or "" when the recipients name none
    recipients: tuple[str, ...]  # "- Như trên;" … "- Lưu: VT."
    signer: tuple[str, ...]  # authority, title (bold); the name goes below the signature space
    signer_name: str


def build_frame(data: ReportData) -> Frame:
    """Lay out the frame of a report from its data and settings; refuse one without its office."""
    return frame_for(data.settings, data.period, data.issued, SUBJECT)


def frame_for(identity, period: Period, issued: date, subject: str) -> Frame:
    """Lay out the frame of any report: `identity` names the sender, its recipients and signer.

    `identity` is ReportSettings (an office's report) or ProvinceFrame (the report upward):
    both carry unit_name, parent_name, place, number, recipients and the signer's lines.
    """
    s = identity
    check_identity(s)
    return Frame(
        parent=nfc(s.parent_name.upper()),
        unit=nfc(s.unit_name.upper()),
        number=nfc(s.number),
        nation=NATION,
        motto=MOTTO,
        place_date=nfc(f"{s.place.strip()}, {format_date_vi(issued)}"),
        title=(DOCUMENT_KIND, subject, nfc(period.title_vi.upper())),
        range_line=f"({period.range_vi})",
        addressees=addressee_line(s.recipients),
        recipients=recipient_lines(s.recipients),
        signer=tuple(nfc(line.upper()) for line in (s.signer_authority, s.signer_title) if line),
        signer_name=nfc(s.signer_name),
    )


def check_identity(settings) -> None:
    """Refuse report settings without the office's name or place, naming every missing one."""
    missing = [key for key in REQUIRED if not getattr(settings, key).strip()]
    if "unit_name" not in missing and nfc(settings.unit_name.strip().upper()) in BARE_UNITS:
        missing.insert(0, "unit_name")
    if missing:
        # The report upward's identity sits in the settings file's [province] table.
        section = getattr(settings, "SECTION", "")
        wanted = "; ".join(
            f"{f'[{section}] ' if section else ''}{key} = {REQUIRED[key]}" for key in missing
        )
        raise ConfigError(
            "Báo cáo chưa thể in: thiếu {wanted} trong tệp cài đặt báo cáo "
            "([web] report_settings của collector, hoặc report --settings).",
            wanted=wanted,
        )


def addressee_line(recipients: tuple[str, ...]) -> str:
    """Return "Kính gửi: A; B." from the recipients that are addressees, or "" when none are."""
    named = [nfc(r.strip().rstrip(";.")) for r in recipients if r.strip()]
    named = [r for r in named if not r.casefold().startswith(NOT_ADDRESSED)]
    return f"{ADDRESSEE_LABEL}: {'; '.join(named)}." if named else ""


def recipient_lines(recipients: tuple[str, ...]) -> tuple[str, ...]:
    """Return "- X;" lines, the last one ending with a full stop, as NĐ 30 lays them out."""
    cleaned = [nfc(r.strip().rstrip(";.")) for r in recipients if r.strip()]
    return tuple(f"- {r}{'.' if i == len(cleaned) - 1 else ';'}" for i, r in enumerate(cleaned))


def previous_line(data: ReportData) -> str:
    """Name the period compared against, with its dates."""
    before = data.previous
    return (
        f"Kỳ trước: {before.title_vi} (từ {format_dmy(before.start)} đến {format_dmy(before.end)})"
    )


def months_note(data: ReportData) -> str:
    """Explain which months' dossier counts the period takes."""
    months = data.dossier_months
    span = _month(months[0]) if len(months) == 1 else f"{_month(months[0])} – {_month(months[-1])}"
    period = data.period
    if period.convention == "cutoff" and period.kind != "custom":
        return (
            f"Kỳ báo cáo theo chốt số liệu ({period.range_vi.lower()}); số hồ sơ đã giải quyết "
            f"được nhập theo tháng dương lịch, lấy các tháng mang tên kỳ: {span}."
        )
    partial = period.kind == "custom" and (period.start.day != 1 or _ends_early(period.end))
    note = f"Số hồ sơ đã giải quyết lấy theo tháng dương lịch: {span}."
    if partial:
        note += " Kỳ không trọn tháng nên tính cả tháng đầu và tháng cuối; tỷ lệ có thể thấp hơn."
    return note


def nfc(text: str) -> str:
    """Return text in NFC, the one form Vietnamese letters are stored and printed in."""
    return unicodedata.normalize("NFC", text)


def _month(label: str) -> str:
    """Turn "2024-03" into "03/2024"."""
    year, month = label.split("-")
    return f"{month}/{year}"


def _ends_early(day: date) -> bool:
    """Tell whether a date is not the last day of its month."""
    return (day + timedelta(days=1)).month == day.month
