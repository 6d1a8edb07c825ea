import unicodedata
from datetime import datetime

import pytest

from hailong.device import texts
from hailong.device.frame import Frame, position_of_rating

NOW = datetime(2026, 3, 5, 14, 30)


def test_minimal_frame_uses_language_defaults():
    frame = Frame(view="idle", now=NOW)
    assert frame.label_texts == texts.labels("vi")
    assert frame.question_text == texts.text("question")
    assert frame.reason_texts == texts.reasons("vi")
    english = Frame(view="idle", now=NOW, language="en")
    assert english.label_texts == texts.labels("en")


def test_configured_texts_win():
    labels = ("A", "B", "C", "D")
    frame = Frame(now=NOW, question="Q?", labels=labels, reasons=labels)
    assert (frame.question_text, frame.label_texts, frame.reason_texts) == ("Q?", labels, labels)


def test_strings_are_normalised_to_nfc():
    name = unicodedata.normalize("NFD", "Nguyễn Văn Ấn")
    frame = Frame(now=NOW, official_name=name, labels=(name,) * 4, service_lines=(name,))
    assert frame.official_name == "Nguyễn Văn Ấn"
    assert frame.labels[0] == "Nguyễn Văn Ấn" and frame.service_lines == ("Nguyễn Văn Ấn",)


def test_frames_compare_by_value():
    assert Frame(now=NOW, lit_buttons={1}) == Frame(now=NOW, lit_buttons=frozenset({1}))
    assert Frame(now=NOW) != Frame(now=NOW, offline=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"view": "menu"},
        {"language": "fr"},
        {"rating": 5},
        {"labels": ("a", "b")},
        {"reasons": ("a",)},
        {"lit_buttons": frozenset({0})},
    ],
)
def test_invalid_frames_are_refused(kwargs):
    with pytest.raises(ValueError):
        Frame(now=NOW, **kwargs)


def test_best_rating_is_leftmost():
    assert [position_of_rating(r) for r in (4, 3, 2, 1)] == [0, 1, 2, 3]
