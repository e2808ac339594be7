"""deploy/caddy/Caddyfile, as shipped, run by Debian's caddy on loopback high ports with
its internal CA in front of a live Panelwave: TLS answers with the security headers, a
50 MB body is refused at the proxy (staff and respondent paths alike, each at its own
limit), and neither the access log nor Caddy's own log holds a client address."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.respondents.form_helpers import make_wave

CADDY = shutil.which("caddy")
HTTP_PORT, HTTPS_PORT = 8890, 8891
MB = 1024 * 1024

pytestmark = [
    pytest.mark.skipif(CADDY is None, reason="caddy is not installed (.ci/run installs it)"),
    pytest.mark.django_db(transaction=True),
]


@dataclass(frozen=True)
class Proxy:
    context: ssl.SSLContext
    access_log: Path
    own_log: Path


@pytest.fixture
def proxy(live_server, tmp_path) -> Iterator[Proxy]:
    assert CADDY is not None
    upstream = live_server.url.removeprefix("http://").replace("localhost", "127.0.0.1")
    env = {
        **os.environ,
        "PANELWAVE_SITE": f"https://localhost:{HTTPS_PORT}",
        "PANELWAVE_TLS": "internal",
        "PANELWAVE_BIND": "127.0.0.1",
        "PANELWAVE_HTTP_PORT": str(HTTP_PORT),
        "PANELWAVE_HTTPS_PORT": str(HTTPS_PORT),
        "PANELWAVE_CADDY_ADMIN": "off",
        "PANELWAVE_UPSTREAM": upstream,
        "PANELWAVE_ACCESS_LOG": str(tmp_path / "access.log"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    own_log = tmp_path / "caddy.log"
    config = Path(settings.BASE_DIR) / "deploy" / "caddy" / "Caddyfile"
    with own_log.open("wb") as log:
        caddy = subprocess.Popen(
            [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        _wait_for_tls(caddy, root, own_log)
        yield Proxy(ssl.create_default_context(cafile=str(root)), tmp_path / "access.log", own_log)
    finally:
        caddy.terminate()
        caddy.wait(timeout=30)


def _wait_for_tls(caddy: subprocess.Popen[bytes], root: Path, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert caddy.poll() is None, log.read_text()
        if root.exists():
            try:
                context = ssl.create_default_context(cafile=str(root))
                with (
                    socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=2) as raw,
                    context.wrap_socket(raw, server_hostname="localhost"),
                ):
                    return
            except (OSError, ssl.SSLError):
                pass
        time.sleep(0.2)
    raise AssertionError(f"caddy did not answer TLS: {log.read_text()[-2000:]}")


def _request(
    proxy: Proxy, method: str, path: str, body_bytes: int = 0
) -> tuple[int, dict[str, str], bytes]:
    """A minimal HTTP/1.1 client that, like a browser or curl, stops sending a body once
    the server has answered (http.client cannot: it reads only after sending all)."""
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=60)
    with proxy.context.wrap_socket(raw, server_hostname="localhost") as tls:
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost:{HTTPS_PORT}\r\nConnection: close\r\n"
        if body_bytes:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {body_bytes}\r\n"
        tls.sendall((head + "\r\n").encode())
        received = bytearray()
        chunk = b"a" * MB
        sent = 0
        early = b""
        while sent < body_bytes:
            early = _answered(tls)
            if early:
                break
            try:
                sent += tls.send(chunk[: min(MB, body_bytes - sent)])
            except (OSError, ssl.SSLError):
                break
        received += early
        tls.settimeout(60)
        while part := _read(tls):
            received += part
    head_bytes, _sep, body = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _colon, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _answered(tls: ssl.SSLSocket) -> bytes:
    """Response bytes already waiting (TLS session tickets alone are not an answer)."""
    if not select.select([tls], [], [], 0)[0] and not tls.pending():
        return b""
    tls.setblocking(False)
    try:
        return tls.recv(65536)
    except ssl.SSLWantReadError:
        return b""
    finally:
        tls.setblocking(True)


def _read(tls: ssl.SSLSocket) -> bytes:
    try:
        return tls.recv(65536)
    except (ConnectionResetError, ssl.SSLError):
        return b""


def test_caddy_serves_tls_with_limits_headers_and_no_client_address_in_its_logs(proxy):
    wave = make_wave()

    # TLS answers, the page comes from Panelwave, with the security headers
    status, headers, body = _request(proxy, "GET", f"/s/{wave.slug}/?src=tg")
    assert status == 200
    assert b'name="csrfmiddlewaretoken"' in body
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers

    # 50 MB is refused at the proxy, on staff and respondent paths alike
    for path in ["/workspace/", "/api/v1/", f"/s/{wave.slug}/"]:
        status, headers, body = _request(proxy, "POST", path, 50 * MB)
        assert (status, body) == (413, b"Request body too large"), path
        assert "content-security-policy" not in headers  # never reached Django
    # a respondent page is small; a staff page may take more (up to 10 MB)
    status, _headers, _body = _request(proxy, "POST", f"/s/{wave.slug}/", 300 * 1024)
    assert status == 413
    status, headers, _body = _request(proxy, "POST", "/accounts/login/", 300 * 1024)
    assert status != 413
    assert "content-security-policy" in headers  # Django answered

    # the access log has every request and no client address
    time.sleep(0.5)
    lines = proxy.access_log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["status"] for e in entries] == [200, 413, 413, 413, 413, 403]
    # (Caddy's own log names the addresses it listens on: those are not a client's.)
    own = proxy.own_log.read_text()
    for listening in [f"127.0.0.1:{HTTPS_PORT}", f"127.0.0.1:{HTTP_PORT}"]:
        own = own.replace(listening, "")
    for text in [proxy.access_log.read_text(), own]:
        for marker in ["remote_ip", "client_ip", "remote_port", "127.0.0.1", "X-Forwarded-For"]:
            assert marker not in text
    assert all(
        "src=" not in e["request"]["uri"] or "token" not in e["request"]["uri"] for e in entries
    )
