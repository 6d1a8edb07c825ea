import os

# The dummy drivers must be chosen before pygame opens anything.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from itertools import combinations
from pathlib import Path

import pygame
import pytest

from hailong.device import fonts
from hailong.device.drawing import Face, Text
from hailong.device.frame import VIEWS, Frame
from hailong.device.layout import BACKGROUND, BUTTON_COLOURS, ELLIPSIS, Box, layout
from hailong.device.screen import DisplayError, FontMetrics, Screen, face_image
from hailong.device.texts import NO_BREAK_SPACE
from hailong.device.views import compose, header_text

SIZES = [(480, 320), (800, 480), (1024, 600)]
LANGUAGES = ["vi", "en"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
NOW = datetime(2026, 3, 5, 14, 30)
SERVICE_LINES = (
    "Thiết bị: kiosk-ubnd-xa-an-phu-q1",
    "Địa chỉ: 192.168.1.42 · fe80::1c2:3ff:fe45:6789",
    "Máy chủ MQTT: đã kết nối (10.0.0.2:8883)",
    "Chờ gửi: 0 lượt",
    "Xác nhận cuối: 05/03/2026 14:29:58",
    "Đồng hồ: đã đồng bộ (NTP)",
    "Phiên bản: 0.1.0",
)


def sample(view, language="vi", **changes):
    """Return a busy frame of the view: every optional part shown."""
    frame = Frame(
        view=view,
        now=NOW,
        language=language,
        rating={"thanks": 4, "reason": 1}.get(view),
        counter="1",
        official_name="Nguyễn Văn An",
        field_name="Hộ tịch",
        offline=True,
        clock_synced=False,
        dossier="H12.22-250101-0001" if view == "idle" else None,
        key_hints=True,
        service_lines=SERVICE_LINES if view == "service" else (),
        lit_buttons=frozenset({1, 3}) if view == "service" else frozenset(),
        seconds_left=9 if view == "reason" else None,
    )
    return replace(frame, **changes)


@pytest.fixture(scope="module")
def metrics():
    pygame.font.init()
    return FontMetrics(fonts.find_fonts())


@pytest.fixture(scope="module")
def screens():
    return {size: Screen.offscreen(size) for size in SIZES}


def pixel(screen, x, y):
    return tuple(screen.surface.get_at((x, y)))[:3]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", VIEWS)
def test_render_every_view(view, size, language, screens, tmp_path):
    screen = screens[size]
    screen.draw(sample(view, language))
    name = f"{view}_{language}_{size[0]}x{size[1]}.png"
    screen.save(tmp_path / name)
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / name, SCREENSHOTS / name)
    assert pygame.image.load(str(tmp_path / name)).get_size() == size


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", VIEWS)
def test_text_stays_inside_its_box_and_never_overlaps(view, size, language, metrics):
    texts = [op for op in compose(sample(view, language), size, metrics) if isinstance(op, Text)]
    screen = Box(0, 0, *size)
    for op in texts:
        assert op.within.contains(op.rect), f"{op.text!r} spills out of {op.within}"
        assert screen.contains(op.rect), op.text
        assert ELLIPSIS not in op.text, f"default text was cut: {op.text!r}"
    for a, b in combinations(texts, 2):
        assert not _overlap(a.rect, b.rect), f"{a.text!r} overlaps {b.text!r}"


def _overlap(a, b):
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", ["idle", "reason"])
def test_button_texts_stay_in_their_own_button(view, size, metrics):
    grid = layout(size, key_hints=True)
    ops = compose(sample(view), size, metrics)
    for i, box in enumerate(grid.buttons):
        inside = [op for op in ops if isinstance(op, Text) and _overlap(op.rect, box)]
        assert inside, f"button {i + 1} has no text"
        assert all(box.contains(op.rect) for op in inside)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_buttons_show_their_colours_left_to_right(size, screens):
    screen = screens[size]
    screen.draw(sample("idle"))
    for box, colour in zip(layout(size, key_hints=True).buttons, BUTTON_COLOURS, strict=True):
        # Just inside the left edge, halfway down: clear of the rounded corners, text and face.
        assert pixel(screen, box.x + 3, box.y + box.h // 2) == colour


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_reason_screen_uses_no_rating_colour_or_face(size, language, screens, metrics):
    frame = sample("reason", language)
    ops = compose(frame, size, metrics)
    assert not [op for op in ops if isinstance(op, Face)]
    screens[size].draw(frame)
    surface = screens[size].surface
    top = layout(size).body.y  # below the status badges (the offline dot is red by itself)
    seen = {tuple(surface.get_at((x, y)))[:3] for x in range(size[0]) for y in range(top, size[1])}
    assert not seen & set(BUTTON_COLOURS), "a reason wears a rating's colour"
    words = [op.text.replace(NO_BREAK_SPACE, " ") for op in ops if isinstance(op, Text)]
    # Numbered 1–4 from the left like the physical buttons, a skip, and the countdown.
    for number, box in enumerate(layout(size, key_hints=True).buttons, start=1):
        inside = [op.text for op in ops if isinstance(op, Text) and box.contains(op.rect)]
        assert inside[0] == str(number), f"choice {number} is not numbered {number}"
    assert frame.text("reason_skip") in words
    assert frame.text("reason_countdown").format(n=9) in words


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_reason_screen_without_touch_counts_down_without_a_skip_button(size, metrics):
    frame = sample("reason", touch=False, key_hints=False)
    words = [op.text for op in compose(frame, size, metrics) if isinstance(op, Text)]
    assert frame.text("reason_skip") not in words
    assert frame.text("reason_countdown").format(n=9) in words


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_idle_labels_best_first_with_four_different_faces(size, metrics):
    ops = compose(sample("idle"), size, metrics)
    faces = [op for op in ops if isinstance(op, Face)]
    assert [f.mood for f in faces] == [0, 1, 2, 3]
    assert [f.box.x for f in faces] == sorted(f.box.x for f in faces)
    words = " ".join(op.text for op in ops if isinstance(op, Text)).replace("\u00a0", " ")
    for label in ("Rất", "hài lòng", "Bình", "Không"):
        assert label in words


def test_smileys_differ_by_mood():
    images = {
        pygame.image.tobytes(
            face_image(Face(Box(0, 0, 60, 60), mood, (0, 0, 0), (255, 255, 255))), "RGBA"
        )
        for mood in range(4)
    }
    assert len(images) == 4


def test_thanks_differs_from_idle_and_shows_the_chosen_colour(screens):
    screen = screens[(800, 480)]
    screen.draw(sample("idle"))
    idle = pygame.image.tobytes(screen.surface, "RGB")
    screen.draw(sample("thanks", rating=1))
    assert pygame.image.tobytes(screen.surface, "RGB") != idle
    colours = {pixel(screen, x, 380) for x in range(0, 800, 4)}
    assert BUTTON_COLOURS[3] in colours and BUTTON_COLOURS[0] not in colours


def test_thanks_without_rating_still_thanks(metrics):
    ops = compose(sample("thanks", rating=None), (480, 320), metrics)
    assert "Cảm ơn Ông/Bà!" in [op.text for op in ops if isinstance(op, Text)]


def test_header_line():
    assert header_text(sample("idle")) == "Quầy 1 · Cán bộ: Nguyễn Văn An · Lĩnh vực: Hộ tịch"
    assert (
        header_text(sample("idle", "en")) == "Counter 1 · Official: Nguyễn Văn An · Field: Hộ tịch"
    )
    assert header_text(sample("idle", official_name=None, field_name=None)) == "Quầy 1"
    assert header_text(Frame(now=NOW)) == ""


def test_clock_and_badges(metrics):
    shown = [op.text for op in compose(sample("idle"), (800, 480), metrics) if isinstance(op, Text)]
    assert "05/03/2026 14:30" in shown
    assert {"Mất kết nối", "Chưa đồng bộ giờ"} <= set(shown)
    calm = sample("idle", offline=False, clock_synced=True)
    shown = [op.text for op in compose(calm, (800, 480), metrics) if isinstance(op, Text)]
    assert not {"Mất kết nối", "Chưa đồng bộ giờ"} & set(shown)


def test_key_hints_only_when_asked(metrics):
    def numbers(frame):
        ops = compose(frame, (800, 480), metrics)
        return [op.text for op in ops if isinstance(op, Text) and op.text in "1234"]

    assert numbers(sample("idle")) == ["1", "2", "3", "4"]
    assert numbers(sample("idle", key_hints=False, counter=None)) == []


def test_service_lights_the_pressed_buttons(screens):
    screen = screens[(800, 480)]
    screen.draw(sample("service", lit_buttons=frozenset({2})))
    grid = layout((800, 480))
    colours = [pixel(screen, b.x + b.w // 2, b.bottom - 8) for b in grid.buttons]
    assert colours[1] == BUTTON_COLOURS[1]
    assert colours[0] == colours[2] == colours[3] == BACKGROUND


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_and_stacked_text_is_cut_not_spilled(size, metrics):
    frame = sample(
        "idle",
        official_name="Nguyễn Thị Ấu Ễnh Ỗng Ặng Ựng Hoàng Phương Thảo Nguyên " * 2,
        question="Ấ Ễ Ỗ Ặ Ự " * 40,
        labels=("Ấ Ễ Ỗ Ặ Ự " * 6,) * 4,
        dossier="X" * 200,
    )
    for op in compose(frame, size, metrics):
        if isinstance(op, Text):
            assert op.within.contains(op.rect) and Box(0, 0, *size).contains(op.rect), op.text


def test_never_pygames_builtin_font(monkeypatch, metrics):
    real = pygame.font.Font

    def checked(path, size):
        assert path is not None, "pygame's built-in font cannot draw Vietnamese"
        return real(path, size)

    monkeypatch.setattr(pygame.font, "Font", checked)
    screen = Screen.offscreen((480, 320))
    for view in VIEWS:
        screen.draw(sample(view))


def test_open_draw_save_close_with_the_dummy_driver(tmp_path):
    screen = Screen.open((480, 320))
    try:
        assert screen.size == (480, 320)
        screen.draw(sample("idle"))
        screen.save(tmp_path / "open.png")
    finally:
        screen.close()
    assert (tmp_path / "open.png").stat().st_size > 0


def test_missing_font_is_a_display_error(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "REGULAR", (str(tmp_path / "none.ttf"),))
    with pytest.raises(DisplayError, match="font") as caught:
        Screen.open((480, 320))
    assert isinstance(caught.value.__cause__, fonts.FontError)


def test_open_raises_display_error_when_no_display():
    code = (
        "from device.screen import Screen, DisplayError\n"
        "try:\n"
        "    Screen.open((480, 320))\n"
        "except DisplayError as exc:\n"
        "    print('DisplayError:', exc)\n"
    )
    env = {**os.environ, "SDL_VIDEODRIVER": "no-such-driver"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DisplayError: cannot open the display")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("touch", [True, False], ids=["touch", "no-touch"])
def test_idle_without_touch_points_to_the_buttons_below(touch, size, language, screens, metrics):
    frame = sample("idle", language, touch=touch, key_hints=False, dossier=None)
    texts = [op for op in compose(frame, size, metrics) if isinstance(op, Text)]
    words = {id(op): op.text.replace(NO_BREAK_SPACE, " ") for op in texts}
    hint = [op for op in texts if words[id(op)] == frame.text("press_hint")]
    assert len(hint) == (0 if touch else 1), "one hint, and only on a screen without touch"
    question_bottom = max(op.rect.bottom for op in texts if words[id(op)] in frame.question_text)
    for op in hint:
        assert question_bottom <= op.rect.y, "the hint sits below the question"
        assert op.rect.bottom <= layout(size).buttons[0].y, "and above the buttons"
    for a, b in combinations(texts, 2):
        assert not _overlap(a.rect, b.rect), f"{a.text!r} overlaps {b.text!r}"
    screens[size].draw(frame)
    SCREENSHOTS.mkdir(exist_ok=True)
    kind = "touch" if touch else "buttons-only"
    screens[size].save(SCREENSHOTS / f"idle_{kind}_{language}_{size[0]}x{size[1]}.png")
