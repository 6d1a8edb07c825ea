"""The `user` and `token` commands: the first admin is made on the command line."""

from __future__ import annotations

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
