import pytest

from hailong.device.layout import ELLIPSIS, Box, balance, block_height, ellipsize, fit, layout, wrap

SIZES = [(480, 320), (800, 480), (1024, 600)]


class FakeMetrics:
    """Every character is 0.6 em wide and lines are 1.2 em tall: no pygame needed."""

    def size(self, text, px, bold=False):
        return round(len(text) * px * 0.6), self.height(px, bold)

    def height(self, px, bold=False):
        return round(px * 1.2)


M = FakeMetrics()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("key_hints", [False, True])
def test_layout_fits_the_screen(size, key_hints):
    grid = layout(size, key_hints=key_hints)
    screen = Box(0, 0, *size)
    parts = [grid.header, grid.status, grid.body, *grid.buttons, *grid.hints]
    assert all(screen.contains(part) and part.w > 0 and part.h > 0 for part in parts)
    assert grid.header.bottom <= grid.status.y < grid.status.bottom <= grid.body.y
    assert grid.body.bottom < grid.buttons[0].y


@pytest.mark.parametrize("size", SIZES)
def test_buttons_are_equal_and_left_to_right(size):
    grid = layout(size)
    xs = [b.x for b in grid.buttons]
    assert xs == sorted(xs)
    assert len({(b.w, b.h, b.y) for b in grid.buttons}) == 1
    assert all(a.right < b.x for a, b in zip(grid.buttons, grid.buttons[1:], strict=False))
    # Centred: the margins left and right of the row differ by at most a pixel.
    assert abs(grid.buttons[0].x - (size[0] - grid.buttons[-1].right)) <= 1


def test_wrap_breaks_at_spaces():
    assert wrap("Rất hài lòng", 60, 10, M) == ["Rất hài", "lòng"]
    assert wrap("", 60, 10, M) == []


def test_wrap_keeps_no_break_spaces_together():
    assert wrap("Rất hài\u00a0lòng", 60, 10, M) == ["Rất", "hài\u00a0lòng"]


def test_wrap_splits_a_word_only_when_it_cannot_fit():
    assert wrap("abcdefghij", 30, 10, M) == ["abcde", "fghij"]


def test_wrap_at_separator():
    assert wrap("A b · C d · E", 60, 10, M, sep=" · ") == ["A b · C d", "E"]


def test_fit_picks_the_largest_size_that_fits():
    box = Box(0, 0, 120, 100)
    found = fit(["Hài lòng", "Không hài lòng"], box, (8, 40), M)
    assert found.whole
    for lines in found.lines:
        assert all(M.size(line, found.px)[0] <= box.w for line in lines)
        assert block_height(len(lines), found.px, M) <= box.h
    bigger = fit(["Hài lòng", "Không hài lòng"], box, (found.px + 1, 40), M)
    assert not bigger.whole


def test_fit_cuts_with_an_ellipsis_when_nothing_fits():
    found = fit(["word " * 50], Box(0, 0, 100, 40), (10, 12), M)
    assert not found.whole and found.px == 10
    assert found.lines[0][-1].endswith(ELLIPSIS)
    assert block_height(len(found.lines[0]), 10, M) <= 40


def test_ellipsize():
    assert ellipsize("short", 100, 10, M) == "short"
    cut = ellipsize("a rather long line of text", 60, 10, M)
    assert cut.endswith(ELLIPSIS) and M.size(cut, 10)[0] <= 60


def test_balance_evens_out_lines():
    text = "one two three four five six seven"
    lines = wrap(text, 180, 10, M)
    even = balance(text, tuple(lines), 10, M)
    assert len(even) == len(lines)
    widths = [M.size(line, 10)[0] for line in even]
    assert max(widths) - min(widths) <= max(M.size(w, 10)[0] for w in text.split())
