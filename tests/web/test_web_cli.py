"""The `user` and `token` commands: the first admin is made on the command line."""

from __future__ import annotations

import subprocess
import sys

from hailong.server.accounts import users as accounts
from hailong.server.cli import main
from hailong.server.storage.db import open_database


def test_first_admin_and_a_token_from_the_command_line(tmp_path, capsys):
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n')
    secret = tmp_path / "password"
    secret.write_text("một mật khẩu dài\n")
    assert main(["--config", str(config), "user", "add", "Admin", "--role", "admin",
                 "--password-file", str(secret), "--actor", "technician"]) == 0  # fmt: skip
    assert main(["--config", str(config), "token", "add", "erp", "--actor", "technician"]) == 0
    out = capsys.readouterr().out
    token = out.splitlines()[1]
    assert main(["--config", str(config), "user", "list"]) == 0
    assert "admin" in capsys.readouterr().out
    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn:
        assert accounts.authenticate(conn, "admin", "một mật khẩu dài").role == "admin"
        assert accounts.token_name(conn, token) == "erp"
    engine.dispose()
    assert main(["--config", str(config), "user", "add", "admin", "--role", "admin",
                 "--password-file", str(secret)]) == 2  # fmt: skip
    assert "already exists" in capsys.readouterr().err


def _run(config, *args, stdin: str):
    """Run the collector's CLI in a child process, as an installer would, with no terminal."""
    return subprocess.run([sys.executable, "-m", "hailong.server.cli", "--config", str(config), *args],
                          input=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip


def test_user_add_without_a_terminal_reads_stdin_or_makes_one_up(tmp_path):
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n')
    piped = _run(config, "user", "add", "thu", "--role", "staff", stdin="mật khẩu từ ống dẫn\n")
    assert piped.returncode == 0 and "Traceback" not in piped.stderr, piped.stderr
    assert "shown only this once" not in piped.stdout
    made = _run(config, "user", "add", "admin", "--role", "admin", stdin="")
    assert made.returncode == 0 and "Traceback" not in made.stderr, made.stderr
    password = made.stdout.split("(shown only this once): ")[1].strip()
    assert len(password) >= 16
    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn:
        assert accounts.authenticate(conn, "thu", "mật khẩu từ ống dẫn").role == "staff"
        assert accounts.authenticate(conn, "admin", password).role == "admin"
    engine.dispose()
