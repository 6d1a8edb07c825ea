import os

os.environ["SDL_AUDIODRIVER"] = "dummy"

import io
import logging
import struct
import wave

import pygame
import pytest

from hailong.device import sound
from hailong.device.sound import Sound, beep_wav


@pytest.fixture(autouse=True)
def fresh_mixer():
    pygame.mixer.quit()
    yield
    pygame.mixer.quit()


def _samples(data):
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
        return wav.getframerate(), struct.unpack(f"<{len(frames) // 2}h", frames)


def test_beep_is_short_soft_and_click_free():
    rate, samples = _samples(beep_wav())
    assert 0.15 < len(samples) / rate < 0.4
    assert 0.2 * 32767 < max(abs(s) for s in samples) <= 0.4 * 32767
    assert abs(samples[0]) < 500 and abs(samples[-1]) < 500


def test_plays_the_beep_on_the_dummy_driver():
    beep = Sound()
    assert beep.available
    beep.play()
    beep.close()


def test_plays_a_configured_wav(tmp_path):
    path = tmp_path / "cam-on.wav"
    path.write_bytes(beep_wav(tones=((440.0, 0.3),)))
    spoken = Sound(path)
    assert spoken.available
    spoken.play()
    spoken.close()


def test_missing_file_falls_back_to_the_beep(tmp_path, caplog):
    fallback = Sound(tmp_path / "missing.wav")
    assert fallback.available
    fallback.play()
    assert "missing.wav" in caplog.text


def test_no_audio_device_never_raises_and_logs_once(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise pygame.error("No available audio device")

    monkeypatch.setattr(sound.pygame.mixer, "init", broken)
    with caplog.at_level(logging.WARNING, logger="hailong.device.sound"):
        silent = Sound()
        for _ in range(3):
            silent.play()
    assert not silent.available
    assert len([r for r in caplog.records if r.name == "hailong.device.sound"]) == 1


def test_a_failing_play_is_swallowed(monkeypatch, caplog):
    beep = Sound()

    class Broken:
        def play(self):
            raise pygame.error("device lost")

    beep._sound = Broken()
    with caplog.at_level(logging.WARNING, logger="hailong.device.sound"):
        beep.play()
        beep.play()
    assert len([r for r in caplog.records if r.name == "hailong.device.sound"]) == 1
