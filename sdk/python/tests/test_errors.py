"""Typed errors from real failures: the CLI's exit code and line, the host's answers, no host at all."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import List

import pytest

from ditto import (
    BadInputError,
    ConfigError,
    Ditto,
    DittoError,
    NotFoundError,
    RemoteError,
    UnauthorizedError,
)
from support import HostProcess, TestHome, unused_port

UNKNOWN = "zzzzzzzzzzzz"


def test_an_unknown_id_is_not_found(client: Ditto) -> None:
    for call in (client.down, client.events):
        with pytest.raises(NotFoundError) as caught:
            call(UNKNOWN)
        err = caught.value
        assert isinstance(err, DittoError)
        assert (err.code, err.status, err.exit_code) == ("NOT_FOUND", 404, 4)
        assert err.message == f"no copy with id '{UNKNOWN}'"
        assert err.hint and "ditto ls --all" in err.hint
        assert str(err) == f"{err.message}; {err.hint}"


def test_bad_input_is_refused_before_anything_is_made(client: Ditto) -> None:
    before = len(client.list(all=True))
    for bad in ({"ttl": 0}, {"ttl": "5 minutes"}, {"ttl": -3}, {"label": ""}, {"obfuscate": "yes"}):
        with pytest.raises(BadInputError) as caught:
            client.up(**bad)  # type: ignore[arg-type]
        assert caught.value.code == "BAD_INPUT" and caught.value.status == 400
    with pytest.raises(BadInputError):
        client.down("--all")
    assert len(client.list(all=True)) == before


def test_a_bad_token_is_unauthorized(host: HostProcess) -> None:
    wrong = "not-the-token-0123456789"
    with pytest.raises(UnauthorizedError) as caught:
        Ditto(server=host.url, token=wrong, env={}).list()
    err = caught.value
    assert (err.code, err.status, err.exit_code) == ("UNAUTHORIZED", 401, 77)
    assert err.message == "invalid token"
    assert wrong not in str(err) and wrong not in repr(err)


def test_no_token_is_unauthorized_before_any_request(host: HostProcess) -> None:
    with pytest.raises(UnauthorizedError, match="DITTO_TOKEN is not set"):
        Ditto(server=host.url, env={}).status()


def test_an_unreachable_host_is_a_remote_error() -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    token = "secret-token-never-shown"
    client = Ditto(server=url, token=token, env={})
    for call in (client.status, client.list, lambda: client.up(ttl=60), lambda: client.down("abc")):
        with pytest.raises(RemoteError) as caught:
            call()
        err = caught.value
        assert (err.code, err.status, err.exit_code) == ("REMOTE", 502, 69)
        assert err.message.startswith(f"cannot reach the ditto host at {url}")
        assert err.hint and "DITTO_SERVER" in err.hint
        assert token not in str(err)


def test_a_host_url_must_be_http() -> None:
    with pytest.raises(BadInputError, match="is not an http"):
        Ditto(server="ftp://127.0.0.1:1", token="t", env={})


def test_a_local_dump_path_cannot_go_to_a_host(host: HostProcess, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="is a local file"):
        Ditto(server=host.url, token=host.token, env={}).up(dump=str(tmp_path / "x.sql"))


def test_local_mode_without_a_ditto_executable_is_a_config_error(local_home: TestHome, tmp_path: Path) -> None:
    env = {**local_home.env(), "PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="not on PATH") as caught:
        Ditto(env=env).status()
    assert caught.value.hint and "DITTO_BIN" in caught.value.hint
    with pytest.raises(ConfigError, match=r"DITTO_BIN \(.*\) is not an executable file"):
        Ditto(env={**env, "DITTO_BIN": str(tmp_path / "missing")}).status()


def test_the_clis_own_error_line_becomes_the_error(cli: Path, local_home: TestHome, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    client = Ditto(bin=str(cli), env={**local_home.env(), "DITTO_CONFIG": str(missing)})
    with pytest.raises(ConfigError) as caught:
        client.status()
    err = caught.value
    assert (err.code, err.exit_code, err.status) == ("CONFIG", 78, 500)
    assert err.message == f"config file {missing} does not exist"
    assert err.hint == "check --config or DITTO_CONFIG"



class _Recorder(http.server.BaseHTTPRequestHandler):
    """A loopback server: the redirecting one answers 302 to its `target`; every request is recorded."""

    target = ""
    seen: List[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).seen.append(f"{self.server.server_address[1]} {self.path} {self.headers.get('authorization')}")
        if self.target:
            self.send_response(302)
            self.send_header("location", self.target + self.path)
        else:
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirect_is_not_followed_with_the_token() -> None:
    elsewhere = http.server.HTTPServer(("127.0.0.1", 0), type("Elsewhere", (_Recorder,), {"target": "", "seen": []}))
    redirecting = http.server.HTTPServer(
        ("127.0.0.1", 0), type("Redirecting", (_Recorder,), {"target": f"http://127.0.0.1:{elsewhere.server_address[1]}", "seen": []})
    )
    servers = [elsewhere, redirecting]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{redirecting.server_address[1]}"
        with pytest.raises(RemoteError, match="with a redirect to http://127.0.0.1:") as caught:
            Ditto(server=url, token="token-that-must-stay-here", env={}).list()
        assert caught.value.hint and "DITTO_SERVER" in caught.value.hint
        assert len(redirecting.RequestHandlerClass.seen) == 1  # type: ignore[attr-defined]
        assert elsewhere.RequestHandlerClass.seen == []  # type: ignore[attr-defined]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
