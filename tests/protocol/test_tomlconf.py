"""Loading TOML into nested frozen dataclasses: every error names the file and the key."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hailong.protocol import ConfigFileError
from hailong.protocol.tomlconf import invalid, load, read_secret


@dataclass(frozen=True)
class Limits:
    """The innermost section."""

    inflight: int = 100
    ratio: float = 0.5

    def __post_init__(self):
        if self.inflight < 1:
            raise invalid("inflight", f"must be at least 1, got {self.inflight}")


@dataclass(frozen=True)
class Link:
    """A middle section with a secret and a nested table."""

    host: str = "127.0.0.1"
    port: int = 1883
    password_file: str | None = None
    ca_file: Path | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise invalid("port", f"must be 1..65535, got {self.port}")


@dataclass(frozen=True)
class App:
    """The top level: one required key, a list, a section and internal metadata."""

    device: str
    enabled: bool = True
    names: tuple[str, ...] = ()
    link: Link = field(default_factory=Link)
    source: str = field(default="<defaults>", metadata={"internal": True})

    def password(self) -> str | None:
        """Read the broker password the way the programs do."""
        if not self.link.password_file:
            return None
        return read_secret(self.link.password_file, self.source, "link.password_file")


def write(tmp_path: Path, text: str, name: str = "app.toml") -> Path:
    """Write a TOML file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path) -> ConfigFileError:
    """Load App from path and return the ConfigFileError it must raise."""
    with pytest.raises(ConfigFileError) as caught:
        load(App, path)
    return caught.value


def test_full_file_loads_into_nested_frozen_dataclasses(tmp_path):
    path = write(
        tmp_path,
        'device = "k1"\nenabled = false\nnames = ["Quầy 1", "Quầy 2"]\n'
        '[link]\nhost = "broker.lan"\nport = 8883\nca_file = "/etc/ca.pem"\n'
        "[link.limits]\ninflight = 7\nratio = 2\n",
    )
    app = load(App, path)
    assert app == App(
        device="k1",
        enabled=False,
        names=("Quầy 1", "Quầy 2"),
        link=Link("broker.lan", 8883, None, Path("/etc/ca.pem"), Limits(7, 2.0)),
    )
    assert isinstance(app.link.ca_file, Path)
    assert type(app.link.limits.ratio) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.device = "k2"


def test_absent_sections_take_their_defaults(tmp_path):
    app = load(App, write(tmp_path, 'device = "k1"\n'))
    assert app.link == Link() and app.link.limits.inflight == 100
    assert app.names == () and app.enabled is True


def test_empty_string_means_none_for_optional_keys(tmp_path):
    app = load(App, write(tmp_path, 'device = "k1"\n[link]\nca_file = ""\npassword_file = ""\n'))
    assert app.link.ca_file is None and app.link.password_file is None
    assert app.password() is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('device = "k1"\ndevise = "k2"\n', "devise"),
        ('device = "k1"\n[link]\nhots = "x"\n', "link.hots"),
        ('device = "k1"\n[link.limits]\ninflite = 3\n', "link.limits.inflite"),
        ('device = "k1"\n[screen]\nwidth = 800\n', "screen"),
    ],
)
def test_unknown_key_is_named(tmp_path, text, key):
    path = write(tmp_path, text)
    error = load_error(path)
    assert (error.path, error.key, error.problem) == (str(path), key, "unknown key")
    assert str(error) == f"{path}: {key}: unknown key"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("device = 1\n", "device", "must be a string"),
        ('device = "k1"\nenabled = 1\n', "enabled", "must be true or false"),
        ('device = "k1"\nenabled = "yes"\n', "enabled", "must be true or false"),
        ('device = "k1"\nnames = "Quầy 1"\n', "names", "must be a list"),
        ('device = "k1"\nnames = ["a", 2]\n', "names[1]", "must be a string"),
        ('device = "k1"\nlink = 5\n', "link", "must be a table"),
        ('device = "k1"\n[link]\nport = "1883"\n', "link.port", "must be an integer"),
        ('device = "k1"\n[link]\nport = 1883.0\n', "link.port", "must be an integer"),
        ('device = "k1"\n[link]\nport = true\n', "link.port", "must be an integer"),
        ('device = "k1"\n[link]\nca_file = 3\n', "link.ca_file", "must be a path string"),
        ('device = "k1"\n[link.limits]\nratio = true\n', "link.limits.ratio", "must be a number"),
        ('device = "k1"\n[link.limits]\nratio = "0.5"\n', "link.limits.ratio", "must be a number"),
    ],
)
def test_wrong_type_is_named(tmp_path, text, key, words):
    error = load_error(write(tmp_path, text))
    assert error.key == key
    assert error.problem.startswith(words)


def test_missing_required_key(tmp_path):
    path = write(tmp_path, "enabled = true\n")
    error = load_error(path)
    assert (error.path, error.key, error.problem) == (str(path), "device", "is required")


def test_defaults_alone_still_need_required_keys():
    error = load_error(None)
    assert (error.path, error.key) == ("<defaults>", "device")


def test_bad_toml_syntax(tmp_path):
    path = write(tmp_path, 'device = "k1\n')
    error = load_error(path)
    assert (error.path, error.key) == (str(path), "(syntax)")
    assert "line 1" in error.problem


def test_non_utf8_file_is_a_syntax_error(tmp_path):
    path = tmp_path / "utf16.toml"
    path.write_bytes('device = "k1"\nnames = ["Quầy"]\n'.encode("utf-16"))
    error = load_error(path)
    assert (error.path, error.key) == (str(path), "(syntax)")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    error = load_error(path)
    assert (error.path, error.key, error.problem) == (str(path), "(file)", "not found")


def test_directory_instead_of_file(tmp_path):
    error = load_error(tmp_path)
    assert (error.path, error.key) == (str(tmp_path), "(file)")


def test_invalid_from_post_init_gets_file_and_section(tmp_path):
    path = write(tmp_path, 'device = "k1"\n[link]\nport = 0\n')
    error = load_error(path)
    assert (error.path, error.key) == (str(path), "link.port")
    assert error.problem == "must be 1..65535, got 0"
    assert str(error) == f"{path}: link.port: must be 1..65535, got 0"


def test_invalid_from_nested_post_init_gets_full_key(tmp_path):
    path = write(tmp_path, 'device = "k1"\n[link.limits]\ninflight = 0\n')
    error = load_error(path)
    assert (error.path, error.key) == (str(path), "link.limits.inflight")


def test_invalid_from_post_init_of_defaults():
    with pytest.raises(ConfigFileError) as caught:
        Link(port=0)
    assert (caught.value.path, caught.value.key) == ("", "port")


def test_internal_metadata_fields_are_not_loadable(tmp_path):
    path = write(tmp_path, 'device = "k1"\nsource = "/etc/evil.toml"\n')
    error = load_error(path)
    assert (error.key, error.problem) == ("source", "unknown key")
    app = load(App, write(tmp_path, 'device = "k1"\n', "ok.toml"))
    assert app.source == "<defaults>"
    assert dataclasses.replace(app, source="ok.toml").source == "ok.toml"


def test_secret_from_a_file(tmp_path):
    secret = tmp_path / "k1.password"
    secret.write_text("s3cret-Mật-khẩu\n", encoding="utf-8")
    app = load(App, write(tmp_path, f'device = "k1"\n[link]\npassword_file = "{secret}"\n'))
    assert app.link.password_file == str(secret)
    assert app.password() == "s3cret-Mật-khẩu"
    assert "s3cret" not in repr(app)


def test_secret_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HAILONG_TEST_PASSWORD", "  from-env \n")
    app = load(
        App, write(tmp_path, 'device = "k1"\n[link]\npassword_file = "env:HAILONG_TEST_PASSWORD"\n')
    )
    assert app.password() == "from-env"


def test_unset_environment_secret_is_named(monkeypatch):
    monkeypatch.delenv("HAILONG_TEST_UNSET", raising=False)
    with pytest.raises(ConfigFileError) as caught:
        read_secret("env:HAILONG_TEST_UNSET", "/etc/app.toml", "link.password_file")
    error = caught.value
    assert (error.path, error.key) == ("/etc/app.toml", "link.password_file")
    assert "HAILONG_TEST_UNSET" in error.problem


def test_unreadable_secret_file_is_named(tmp_path):
    missing = tmp_path / "missing.password"
    with pytest.raises(ConfigFileError) as caught:
        read_secret(str(missing), "app.toml", "link.password_file")
    assert (caught.value.path, caught.value.key) == ("app.toml", "link.password_file")
    assert str(missing) in caught.value.problem
