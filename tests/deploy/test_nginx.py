"""Issue 13, finding 5: idle and slow clients meet nginx's timeouts, never waitress; staff get in.

nginx runs as in production, from the template the installer renders (systemd/nginx/render), in
front of `hailong-collector web` (waitress on loopback); only the ports and files are the test's.
The attacker's connections come from 127.0.0.1, the staff member's browser from 127.0.0.2.
"""

from __future__ import annotations

import http.client
import os
import select
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from hailong.server.broker.private import free_port
from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
IDLE, SLOW = 60, 60  # 120 connections: more than the 110 that took waitress down alone
HEADER_TIMEOUT_S = 10  # client_header_timeout in systemd/nginx/hailong.conf
STAFF, ATTACKER = "127.0.0.2", "127.0.0.1"

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="needs nginx (scripts/setup)")


def render(**values: str) -> str:
    """Render the installer's nginx template with the installer's renderer."""
    done = run_render(*(f"{k}={v}" for k, v in values.items()))
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_render(*args: str) -> subprocess.CompletedProcess:
    """Run systemd/nginx/render on the template with NAME=VALUE arguments."""
    template = (ROOT / "systemd/nginx/hailong.conf").read_text()
    return subprocess.run([str(ROOT / "systemd/nginx/render"), *args], input=template,
                          capture_output=True, text=True, timeout=30)  # fmt: skip


def site_values(tls, web_port: int, http_port: int, https_port: int) -> dict[str, str]:
    """Return the template's values for loopback ports and the test's certificate."""
    return {"HTTP_LISTEN": f"127.0.0.1:{http_port}", "HTTPS_LISTEN": f"127.0.0.1:{https_port}",
            "HTTPS_PORT_SUFFIX": f":{https_port}", "CERT_FILE": str(tls.cert),
            "KEY_FILE": str(tls.key), "WEB_PORT": str(web_port), "MAX_BODY": "5m"}  # fmt: skip


def main_conf(folder: Path, site: Path) -> Path:
    """Write nginx.conf around the rendered site: everything in folder, nothing in /var or /run."""
    temps = "".join(f"    {kind}_temp_path {folder / kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers keep the test's files
    conf = folder / "nginx.conf"
    conf.write_text(f"{user}daemon off;\npid {folder / 'nginx.pid'};\nworker_processes 1;\n"
                    f"error_log {folder / 'error.log'} info;\n"
                    f"events {{ worker_connections 1024; }}\n"
                    f"http {{\n    access_log off;\n{temps}    include {site};\n}}\n")  # fmt: skip
    return conf


@pytest.fixture
def proxied(tmp_path, tls, procs):
    """Start waitress (hailong-collector web) and nginx in front; return nginx's two ports."""
    web_port, http_port, https_port = free_port(), free_port(), free_port()
    config = tmp_path / "collector.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "c.db"}"\n[web]\nport = {web_port}\n'
                      f'secret_key_file = "{tmp_path / "web.key"}"\nsecure_cookies = true\n'
                      'trusted_proxy = "127.0.0.1"\nconnection_limit = 100\n'
                      "channel_timeout = 30\n")  # fmt: skip
    procs.start("web", "hailong.server.cli", "--config", config, "web")
    wait_for(lambda: _connects(web_port), 30, "waitress")
    folder = tmp_path / "nginx"
    folder.mkdir()
    site = folder / "hailong.conf"
    site.write_text(render(**site_values(tls, web_port, http_port, https_port)))
    conf = main_conf(folder, site)
    with open(folder / "stderr.log", "wb") as log:
        nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(folder), "-e",
                                  str(folder / "error.log")], stdout=log, stderr=log)  # fmt: skip
    procs.children.append(nginx)  # killed by PID at teardown if still running
    wait_for(lambda: _connects(https_port) or nginx.poll() is not None, 30, "nginx")
    assert nginx.poll() is None, (folder / "error.log").read_text()
    yield http_port, https_port
    nginx.terminate()  # SIGTERM: nginx's fast shutdown, workers included
    nginx.wait(15)


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def tls_context(tls) -> ssl.SSLContext:
    """Trust the test CA only, as a browser that accepted the office's CA would."""
    return ssl.create_default_context(cafile=str(tls.ca_cert))


def staff_get(tls, port: int, path: str = "/login") -> tuple[int, str, float]:
    """GET a page over HTTPS from the staff address; return status, body and seconds taken."""
    started = time.monotonic()
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=tls_context(tls),
                                       source_address=(STAFF, 0))  # fmt: skip
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(), time.monotonic() - started
    finally:
        conn.close()


def attack(tls, port: int) -> list[socket.socket]:
    """Open IDLE connections that say nothing and SLOW ones that stop inside their headers."""
    opened = [socket.create_connection(("127.0.0.1", port), timeout=5,
                                       source_address=(ATTACKER, 0)) for _ in range(IDLE)]  # fmt: skip
    context = tls_context(tls)
    for _ in range(SLOW):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5,
                                       source_address=(ATTACKER, 0))  # fmt: skip
        slow = context.wrap_socket(raw, server_hostname="localhost")
        slow.sendall(b"GET /login HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # never finished
        opened.append(slow)
    return opened


def closed_by_peer(sock: socket.socket) -> bool:
    """Tell whether the other end has closed the connection (without blocking)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return False
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    sock.setblocking(False)  # TLS 1.3 session tickets make a TLS socket readable without data
    try:
        return sock.recv(1024) == b""
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True  # reset: closed as well


def test_slow_clients_do_not_keep_staff_out_and_are_closed_by_the_timeouts(proxied, tls):
    _, https_port = proxied
    opened = attack(tls, https_port)
    try:
        status, body, took = staff_get(tls, https_port)
        assert status == 200 and "Đăng nhập" in body and took < 2.0, (status, took)
        assert not any(closed_by_peer(s) for s in opened)  # all held open while staff got in
        started = time.monotonic()
        wait_for(lambda: all(closed_by_peer(s) for s in opened), HEADER_TIMEOUT_S + 15,
                 "nginx to close the idle and slow connections")  # fmt: skip
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 15
    finally:
        for sock in opened:
            sock.close()
    assert staff_get(tls, https_port)[0] == 200


def test_plain_http_is_sent_to_https_and_a_big_body_is_refused(proxied, tls):
    http_port, https_port = proxied
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    conn.request("GET", "/summary?period=2024-03")
    response = conn.getresponse()
    assert response.status == 301
    target = f"https://127.0.0.1:{https_port}/summary?period=2024-03"
    assert response.getheader("Location") == target
    conn.close()
    big = http.client.HTTPSConnection("127.0.0.1", https_port, timeout=10,
                                      context=tls_context(tls))  # fmt: skip
    big.putrequest("POST", "/admin/dossiers")
    big.putheader("Content-Length", str(5 * 1024 * 1024 + 1))  # the app's MAX_CONTENT_LENGTH + 1
    big.endheaders()
    assert big.getresponse().status == 413  # refused by nginx before a byte reaches waitress
    big.close()


def test_the_renderer_refuses_a_missing_or_unsafe_value():
    done = run_render("HTTP_LISTEN=80; include /x")
    assert done.returncode == 2 and "unsafe value" in done.stderr
    done = run_render("HTTP_LISTEN=80")
    assert done.returncode == 2 and "@CERT_FILE@" in done.stderr


def test_a_sign_in_through_nginx_passes_the_https_csrf_check(proxied, tls):
    """Behind nginx the app sees HTTPS (X-Forwarded-Proto from the trusted proxy): CSRF holds."""
    _, https_port = proxied
    conn = http.client.HTTPSConnection("127.0.0.1", https_port, timeout=10,
                                       context=tls_context(tls))  # fmt: skip
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    assert "Secure" in response.getheader("Set-Cookie")
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"csrf_token": token, "username": "khach", "password": "sai"})
    origin = f"https://127.0.0.1:{https_port}"
    conn.request("POST", "/login", body=form, headers={
        "Cookie": cookie, "Referer": f"{origin}/login", "Origin": origin,
        "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    answer = conn.getresponse()
    # 401 (no such account) means the form was accepted; a failed CSRF check would be 400.
    assert answer.status == 401 and "Sai tên đăng nhập" in answer.read().decode()
    conn.close()
