import unicodedata

import pytest
from fontTools.ttLib import TTFont

from hailong.device import texts
from hailong.device.fonts import find_fonts
from hailong.device.layout import ELLIPSIS

# Every precomposed Vietnamese letter: 12 vowels x 6 tones, both cases, plus đ/Đ.
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VIETNAMESE = {
    unicodedata.normalize("NFC", base + tone)
    for vowel in VOWELS
    for base in (vowel, vowel.upper())
    for tone in TONES
} | {"đ", "Đ"}
# Characters the screen adds itself: clock digits, separators, ellipsis, key hints.
SCREEN_CHARS = set("0123456789/:·. -") | {ELLIPSIS, texts.NO_BREAK_SPACE}


def test_default_labels_best_first():
    assert texts.labels() == ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng")


def test_default_reasons_in_button_order():
    assert texts.reasons("vi") == (
        "Thời gian chờ lâu",
        "Thái độ cán bộ",
        "Thủ tục, hồ sơ phức tạp",
        "Lý do khác",
    )


def test_default_question_and_thanks():
    assert texts.text("question") == (
        "Ông/Bà đánh giá như thế nào về thái độ công chức khi tiếp nhận"
        " và hướng dẫn giải quyết hồ sơ?"
    )
    assert texts.text("thanks", "vi") == "Cảm ơn Ông/Bà!"


@pytest.mark.parametrize(
    "key, expected",
    [
        ("scan_prompt", "Vui lòng quét mã hồ sơ trên phiếu hẹn"),
        ("offline", "Mất kết nối"),
        ("clock_unsynced", "Chưa đồng bộ giờ"),
        ("counter", "Quầy"),
        ("official", "Cán bộ"),
        ("field", "Lĩnh vực"),
    ],
)
def test_vietnamese_strings(key, expected):
    assert texts.text(key) == expected


@pytest.mark.parametrize("language", texts.LANGUAGES)
def test_every_key_in_every_language(language):
    for key in texts.key_names():
        if key in ("labels", "reasons"):
            value = getattr(texts, key)(language)
            assert len(value) == 4 and all(value), f"{language}:{key}"
        else:
            assert texts.text(key, language), f"{language}:{key} is empty"


def test_all_strings_are_nfc():
    for value in texts.all_strings():
        assert unicodedata.is_normalized("NFC", value), value


def test_decomposed_source_is_normalised():
    decomposed = unicodedata.normalize("NFD", "Cảm ơn Ông/Bà!")
    assert decomposed != "Cảm ơn Ông/Bà!"
    assert texts.nfc(decomposed) == "Cảm ơn Ông/Bà!"


def test_no_all_caps_on_the_kiosk():
    for value in texts.all_strings():
        words = [w for w in value.split() if sum(c.isalpha() for c in w) > 3]
        assert not any(w.isupper() for w in words), value


def test_unknown_language_and_key():
    with pytest.raises(ValueError, match="language"):
        texts.text("thanks", "fr")
    with pytest.raises(KeyError):
        texts.text("no-such-key")
    with pytest.raises(KeyError):
        texts.text("labels")


def test_keep_together_joins_two_syllable_words_only():
    nbsp = texts.NO_BREAK_SPACE
    assert texts.keep_together("Rất hài lòng") == f"Rất hài{nbsp}lòng"
    assert (
        texts.keep_together("Thủ tục, hồ sơ phức tạp") == f"Thủ{nbsp}tục, hồ{nbsp}sơ phức{nbsp}tạp"
    )
    assert texts.keep_together("Very satisfied") == "Very satisfied"


def _cmap(path):
    with TTFont(path, lazy=True) as font:
        return set(font.getBestCmap())


@pytest.mark.parametrize("weight", ["regular", "bold"])
def test_chosen_font_covers_every_ui_character(weight):
    path = getattr(find_fonts(), weight)
    cmap = _cmap(path)
    needed = set("".join(texts.all_strings())) | VIETNAMESE | SCREEN_CHARS
    missing = sorted(c for c in needed if ord(c) not in cmap)
    assert not missing, f"{path} lacks {[f'U+{ord(c):04X} {c}' for c in missing]}"


def test_alphabet_includes_stacked_marks():
    assert set("ẤỄỖẶỰ") <= VIETNAMESE
    assert len(VIETNAMESE) == 12 * 6 * 2 + 2
