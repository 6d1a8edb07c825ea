from pathlib import Path

import pytest

from hailong.device import fonts
from hailong.device.errors import DeviceError
from hailong.device.fonts import FontError, find_font, find_fonts


def test_finds_a_system_font():
    files = find_fonts()
    assert files.regular.is_file() and files.bold.is_file()
    assert files.regular.suffix.lower() in (".ttf", ".otf")


def test_configured_path_comes_first(tmp_path):
    chosen = Path(find_fonts().bold)
    assert find_font(chosen) == chosen
    assert find_fonts(chosen) == fonts.FontFiles(chosen, chosen)


def test_missing_configured_path_falls_back(tmp_path, caplog):
    assert find_font(tmp_path / "nope.ttf") == find_font()
    assert "nope.ttf" in caplog.text


def test_no_font_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "REGULAR", (str(tmp_path / "a.ttf"),))
    with pytest.raises(FontError, match="fonts-dejavu-core") as caught:
        find_fonts(tmp_path / "configured.ttf")
    assert "configured.ttf" in str(caught.value) and "a.ttf" in str(caught.value)
    assert isinstance(caught.value, DeviceError)
