"""The report upward's words in English: Vietnamese is the text, English its translation.

The administrative frame (quốc hiệu, tiêu ngữ, the title, the signer) stays Vietnamese in both
languages: it is the document's legal form. Field and office names are the offices' own.
"""

from __future__ import annotations

import unicodedata

ENGLISH = {
    "Rất hài lòng": "Very satisfied",
    "Hài lòng": "Satisfied",
    "Bình thường": "Neutral",
    "Không hài lòng": "Dissatisfied",
    "Số lượt": "Count",
    "Tỷ lệ": "%",
    "Mã đơn vị": "Office code",
    "Đơn vị": "Office",
    "Lĩnh vực": "Field",
    "Lượt đánh giá": "Ratings",
    "Tỷ lệ hài lòng": "Rate",
    "Tỷ lệ hài lòng kỳ trước": "Rate before",
    "Tăng (+) / giảm (−), điểm %": "Change (points)",
    "Xếp hạng": "Rank",
    "Toàn tỉnh": "Province",
    "Tỷ lệ và xếp hạng chỉ tính khi đơn vị có từ {n} lượt đánh giá trở lên "
    "(—: chưa đủ mẫu, chỉ nêu số lượt).": "Rates and ranks are shown from {n} ratings on "
    "(—: sample too small, counts only).",
    "Xếp hạng theo tỷ lệ hài lòng đã hiệu chỉnh về mức chung của toàn tỉnh, để vài lượt "
    "đánh giá không xếp trên hàng nghìn lượt; đơn vị bằng điểm nhau cùng hạng.": "Ranked by the "
    "satisfaction rate shrunk toward the province's mean, so that a few ratings do not outrank "
    "thousands; offices with equal scores share a rank.",
    "Dòng toàn tỉnh cộng số lượt của các đơn vị rồi tính tỷ lệ, không lấy trung bình các "
    "tỷ lệ. Kỳ trước: {title}.": "The province's row adds the offices' counts, then computes its "
    "rates: never an average of rates. Previous period: {title}.",
    "Bảng 1. Kết quả theo đơn vị": "Table 1. Results by office",
    "1. Theo đơn vị": "1. By office",
    "Tỷ lệ đánh giá / hồ sơ theo lĩnh vực": "Ratings ÷ resolved dossiers, by field",
    "Các lĩnh vực có số hồ sơ": "Fields with dossier counts",
    "Lĩnh vực đạt": "Fields met",
    "Lượt còn thiếu": "Ratings short",
    "Toàn tỉnh (cộng số lượt và số hồ sơ)": "Province (counts and dossiers added)",
    "Chỉ tiêu: trên {target} số hồ sơ đã giải quyết ở từng lĩnh vực; ô tô màu: chưa đạt. "
    "Lĩnh vực đạt: số lĩnh vực đạt / số lĩnh vực có số hồ sơ; đơn vị chỉ đạt khi mọi "
    "lĩnh vực đều đạt.": "Target: more than {target} of the resolved dossiers in each field; "
    "shaded: below it. Fields met: fields above the target / fields with dossier counts; an "
    "office meets the target only when every field does.",
    "—: đơn vị chưa nhập số hồ sơ của lĩnh vực. Dòng toàn tỉnh chỉ cộng các đơn vị đã "
    "nhập số hồ sơ của lĩnh vực đó; một lĩnh vực có thể đạt khi cộng lại dù có đơn vị "
    "chưa đạt.": "—: no dossier count entered for the field. The province's row adds only the "
    "offices that entered the field's count; a field may meet the target in sum while an "
    "office does not.",
    "Chưa nhập số hồ sơ (không tính là 0): {lines}.": "Dossier counts not entered (not read "
    "as 0): {lines}.",
    "Bảng 2. Tỷ lệ đánh giá trên hồ sơ đã giải quyết": "Table 2. Ratings against resolved dossiers",
    "2. Theo lĩnh vực và đơn vị": "2. By field and office",
    "Hồ sơ đã giải quyết": "Resolved dossiers",
    "Lượt đánh giá (đơn vị có số hồ sơ)": "Ratings (offices with counts)",
    "Tỷ lệ đánh giá / hồ sơ": "Ratings ÷ dossiers",
    "Đơn vị đạt": "Offices met",
    "Tổng lượt đánh giá": "All ratings",
    "Không ghi lĩnh vực": "No field given",
    "lĩnh vực đạt": "fields met",
    "Lượt không tính vào tỷ lệ (không ghi lĩnh vực, hoặc đơn vị chưa nhập số hồ sơ của "
    "lĩnh vực): {n}.": "Ratings outside the ratio (no field, or the office entered no dossier "
    "count for the field): {n}.",
    "Đơn vị đạt: số đơn vị đạt chỉ tiêu ở lĩnh vực / số đơn vị có số hồ sơ của lĩnh vực.": "Offices met: offices above the target in the field / offices with its dossier count.",
    "Bảng 3. Tổng hợp theo lĩnh vực": "Table 3. Fields across the province",
    "3. Theo lĩnh vực": "3. By field",
    "Cần lưu ý": "Needs attention",
    "(Không có đơn vị nào.)": "(No office.)",
    "Bảng 4. Đơn vị cần lưu ý": "Table 4. Offices needing attention",
    "4. Cần lưu ý": "4. Attention",
    "chưa đạt chỉ tiêu đánh giá trên hồ sơ ({met} lĩnh vực đạt, còn thiếu {n} "
    "lượt)": "below the coverage target ({met} fields met, {n} ratings short)",
    "không có lượt đánh giá nào trong giờ làm việc": "no rating within office hours",
    "chưa nhập số hồ sơ đã giải quyết": "no resolved dossier count entered",
    "Tổng hợp {n} đơn vị, {ranked} đơn vị đủ mẫu để xếp hạng; {total} lượt đánh giá "
    "được tính, tỷ lệ hài lòng toàn tỉnh {rate} (kỳ trước {before}).": "{n} offices, {ranked} "
    "with a sample large enough to rank; {total} ratings counted, the province's satisfaction "
    "rate {rate} (previous period {before}).",
    "Tỷ lệ đánh giá trên hồ sơ của các lĩnh vực có số hồ sơ: {pct}, {met} "
    "lĩnh vực đạt.": "Ratings against dossiers in the fields with counts: {pct}, {met} fields met.",
    "{below} đơn vị chưa đạt chỉ tiêu, {silent} đơn vị không có lượt đánh "
    "giá trong giờ làm việc.": "Offices below the target: {below}; with no rating within "
    "office hours: {silent}.",
    "I. KẾT QUẢ CHUNG": "I. OVERVIEW",
    "Nơi nhận:": "Recipients:",
}
LANGUAGES = ("vi", "en")


def say(text: str, lang: str = "vi", **values) -> str:
    """Return text in the report's language (NFC), its {values} filled in."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    found = ENGLISH.get(text, text) if lang == "en" else text
    return unicodedata.normalize("NFC", found.format(**values) if values else found)
