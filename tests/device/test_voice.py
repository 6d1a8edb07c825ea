"""The spoken thanks: rendered by espeak-ng, played per rating, and never in the way of a press."""

import math
import struct
import wave
from pathlib import Path

import pygame
import pytest

from hailong.device import cli
from hailong.device.sound import Sound
from hailong.device.voice import phrases, render, voice_files
from tests.device.kiosk import journal_records
from tests.support import wait_for

LANGUAGES = ("vi", "en")
RMS_FLOOR = 1000  # espeak-ng speaks near full scale (RMS in the thousands); silence is below 100


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> Path:
    """Render every phrase once, with the real espeak-ng, as install-kiosk does."""
    folder = tmp_path_factory.mktemp("state") / "voice"
    for language in LANGUAGES:
        render(folder, language)
    return folder


class Played:
    """A sound the spy mixer made: where it came from, its volume, how often it played."""

    def __init__(self, file):
        self.source = file if isinstance(file, str) else "<beep>"
        self.volume, self.plays = 1.0, 0

    def set_volume(self, value):
        self.volume = value

    def play(self):
        self.plays += 1


class SpyMixer:
    """Stand in for pygame.mixer: record each sound loaded and played."""

    def __init__(self, fail_init: bool = False):
        self.fail_init, self.sounds, self.ready = fail_init, [], False

    def get_init(self):
        return self.ready

    def init(self, **_settings):
        if self.fail_init:
            raise pygame.error("No available audio device")
        self.ready = True

    def Sound(self, file=None):  # noqa: N802 (pygame's name)
        sound = Played(file)
        self.sounds.append(sound)
        return sound

    def quit(self):
        self.ready = False

    def played(self) -> list[tuple[str, float]]:
        return [(Path(s.source).name, s.volume) for s in self.sounds for _ in range(s.plays)]


def loudness(path: Path) -> tuple[float, float]:
    """Return the seconds and the RMS amplitude of a mono 16-bit WAV."""
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return seconds, math.sqrt(sum(s * s for s in samples) / len(samples))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_phrase_is_rendered_and_not_silent(voices, language):
    files = voice_files(voices, language)
    assert sorted(files, key=str) == sorted([None, 1, 2, 3, 4], key=str)
    for path in files.values():
        seconds, rms = loudness(path)
        assert seconds > 0.5 and rms > RMS_FLOOR, f"{path.name}: {seconds:.2f} s, RMS {rms:.0f}"
    assert not list((voices / language).glob("*.part")), "no half-written file left behind"


def test_the_phrases_name_the_chosen_level():
    said = phrases("vi")
    assert said["thanks"] == "Cảm ơn Ông/Bà"
    assert said["thanks-4"] == "Cảm ơn Ông/Bà đã đánh giá: Rất hài lòng"
    assert said["thanks-1"] == "Cảm ơn Ông/Bà đã đánh giá: Không hài lòng"
    assert phrases("en")["thanks-3"] == "Thank you for your rating: Satisfied"


def test_each_rating_plays_its_own_file_at_the_volume_asked(voices):
    mixer = SpyMixer()
    sound = Sound(voices=voice_files(voices, "vi"), mixer=mixer)
    for rating in (4, 3, 2, 1):
        sound.thank(rating, volume=40)
    assert mixer.played() == [(f"thanks-{r}.wav", 0.4) for r in (4, 3, 2, 1)]


def test_voice_off_plays_the_beep_and_volume_zero_plays_nothing(voices):
    mixer = SpyMixer()
    sound = Sound(voices=voice_files(voices, "vi"), mixer=mixer)
    sound.thank(4, voice=False)
    sound.thank(4, volume=0)
    assert mixer.played() == [("<beep>", 1.0)]


def test_a_missing_file_falls_back_to_the_plain_thanks(voices, tmp_path):
    files = {None: voice_files(voices, "vi")[None]}
    mixer = SpyMixer()
    Sound(voices=files, mixer=mixer).thank(2)
    assert mixer.played() == [("thanks.wav", 1.0)]


def test_the_kiosk_speaks_the_rating_it_journaled(make_kiosk, voices):
    mixer = SpyMixer()
    kiosk = make_kiosk(sound=Sound(voices=voice_files(voices, "vi"), mixer=mixer)).start()
    wait_for(lambda: kiosk.drawn("idle"), 10, "the idle view")
    kiosk.press(2)
    wait_for(lambda: mixer.played(), 5, "the spoken thanks")
    kiosk.halt()
    assert mixer.played() == [("thanks-3.wav", 0.8)], "button 2 is Hài lòng, at the default 80 %"


@pytest.mark.parametrize("mixer", [SpyMixer(fail_init=True), None], ids=["failing-init", "dummy"])
def test_no_audio_device_changes_nothing_else(make_kiosk, voices, mixer):
    pygame.mixer.quit()
    sound = Sound(voices=voice_files(voices, "vi"), mixer=mixer)
    assert sound.available is (mixer is None), "SDL's dummy driver opens; a failing init does not"
    kiosk = make_kiosk(sound=sound).start()
    wait_for(lambda: kiosk.drawn("idle"), 10, "the idle view")
    kiosk.press(1)
    thanks = wait_for(lambda: kiosk.drawn("thanks"), 5, "the thanks view")
    kiosk.halt()
    sound.close()
    assert thanks.frame.rating == 4 and thanks.on_disk == 1
    assert [r["rating"] for r in journal_records(kiosk.app.config.state_dir)] == [4]


def test_voice_render_command_writes_the_files_or_says_why_not(tmp_path, monkeypatch, capsys):
    assert cli.main(["voice", "render", "--state-dir", str(tmp_path), "--language", "vi"]) == 0
    assert f"5 files in {tmp_path / 'voice'}" in capsys.readouterr().out
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cli.main(["voice", "render", "--state-dir", str(tmp_path)]) == 1
    assert "espeak-ng is not installed" in capsys.readouterr().err
