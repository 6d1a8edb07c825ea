"""Tests for device.config: the kiosk's own settings are checked, with the contract's limits, at load."""

import unicodedata

import pytest

from hailong.device.config import KioskSettingsFile, load_config
from hailong.device.profile import Profile
from hailong.protocol import ConfigFileError


def write(tmp_path, text: str):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'device = "k1"\n{text}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (f'[kiosk]\ncounter = "{"Q" * 70}"\n', "kiosk.counter", "length must be 1..64, got 70"),
        (f'[kiosk]\nofficial = "{"c" * 65}"\n', "kiosk.official", "length must be 1..64"),
        (f'[kiosk]\nfield = "{"h" * 65}"\n', "kiosk.field", "length must be 1..64"),
        (f'[kiosk]\nofficial_name = "{"A" * 129}"\n', "kiosk.official_name", "1..128"),
        (f'[kiosk]\nfield_name = "{"B" * 129}"\n', "kiosk.field_name", "1..128"),
        (f'[kiosk]\nquestion = "{"?" * 301}"\n', "kiosk.question", "1..300"),
        ('[kiosk]\ncounter = "Q\\u202e1"\n', "kiosk.counter", "direction-changing"),
        ("[kiosk]\ncooldown_s = -1\n", "kiosk.cooldown_s", "must be 0..3600"),
        ("[kiosk]\nservice_hold_s = 0.5\n", "kiosk.service_hold_s", "must be 1..9"),
        ("[kiosk]\nrequire_dossier = 1\n", "kiosk.require_dossier", "must be true or false"),
        ('[kiosk]\nvoice = "on"\n', "kiosk.voice", "must be true or false"),
        ("[kiosk]\nvolume = 101\n", "kiosk.volume", "100"),
        ("[screen]\ntouch = 1\n", "screen.touch", "true or false"),
        ("[mqtt]\nhealth_interval_s = 0\n", "mqtt.health_interval_s", "must be 1..86400"),
        ("[mqtt]\nkeepalive = -5\n", "mqtt.keepalive", "must be 0..65535"),
        ('[mqtt]\nprefix = "a/#"\n', "mqtt.prefix", "wildcards"),
        ("[screen]\nwidth = 5\n", "screen.width", "must be 100..10000"),
        ("[journal]\nsegment_size = 0\n", "journal.segment_size", "must be 1..100000"),
        ("[journal]\nretention_days = -1\n", "journal.retention_days", "must be 0..36500"),
    ],
)
def test_a_bad_setting_is_an_error_naming_the_file_and_the_key(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as caught:
        load_config(path)
    assert (caught.value.path, caught.value.key) == (str(path), key)
    assert problem in caught.value.problem


def test_the_longest_allowed_codes_load(tmp_path):
    path = write(tmp_path, f'[kiosk]\ncounter = "{"Q" * 64}"\nofficial_name = "{"A" * 128}"\n')
    kiosk = load_config(path).kiosk
    assert (len(kiosk.counter), len(kiosk.official_name)) == (64, 128)


def test_names_are_kept_as_nfc_as_a_press_carries_them(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert decomposed != "Nguyễn Văn An"
    kiosk = load_config(write(tmp_path, f'[kiosk]\nofficial_name = "{decomposed}"\n')).kiosk
    assert kiosk.official_name == "Nguyễn Văn An"


def test_settings_built_in_code_are_checked_too():
    with pytest.raises(ConfigFileError, match="counter: length must be 1..64"):
        KioskSettingsFile(counter="Q" * 70)


def test_voice_volume_and_touch_default_to_the_recommended_kiosk_and_the_collector_may_change_them(
    tmp_path,
):
    path = tmp_path / "kiosk.toml"
    path.write_text('device = "k1"\n[kiosk]\nvolume = 30\n')
    config = load_config(path)
    assert (config.kiosk.voice, config.kiosk.volume, config.screen.touch) == (True, 30, True)
    profile = Profile(config, tmp_path / "collector-config.json")
    assert (profile.current.voice, profile.current.volume) == (True, 30)
    profile.apply(b'{"v":1,"voice":false}')
    assert (profile.current.voice, profile.current.volume) == (False, 30), "absent keeps the file's"
