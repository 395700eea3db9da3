"""Remote mode over HTTPS: a host with a certificate from a CA of the test's own (openssl).

Trusted with DITTO_CA_FILE; without it, one clear error that says what to set.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from ditto import ConfigError, Ditto, RemoteError
from support import HTTPS_HOST_PORTS, HostProcess, TestHome, psql


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path) -> Path:
    """A CA, and a certificate it signs for 127.0.0.1; returns the CA's PEM file."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ditto pytest CA", cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "api.key", "-out", "api.csr", "-subj", "/CN=127.0.0.1", cwd=directory)
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", "api.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "api.crt", "-days", "2", "-extfile", "san.ext", cwd=directory)
    return directory / "ca.pem"


@pytest.fixture(scope="module")
def https_host(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    if not shutil.which("openssl"):
        pytest.fail("openssl is not installed (apt-get install openssl): the HTTPS test makes its certificates with it")
    certs = tmp_path_factory.mktemp("certs")
    make_certificates(certs)
    home = TestHome(HTTPS_HOST_PORTS)
    home.config_file.write_text(
        home.config_file.read_text()
        + f"host:\n  tls: {{cert: {certs / 'api.crt'}, key: {certs / 'api.key'}}}\n  tokens: [{{name: pytest, token: https-test-token-0123456789}}]\n"
    )
    server = HostProcess(home, "https-test-token-0123456789")
    server.ca_file = certs / "ca.pem"
    yield server
    code = server.stop()
    left = home.cleanup()
    assert code == 0 and not left, left


def test_https_with_the_ca_file(https_host: HostProcess) -> None:
    assert https_host.url.startswith("https://127.0.0.1:")
    client = Ditto(server=https_host.url, token=https_host.token, ca_file=str(https_host.ca_file), env={})
    assert client.status().version
    with client.with_copy(ttl=120) as copy:
        assert psql(copy.connection_string, "SELECT 1").stdout.strip() == "1"
        assert copy.id in [c.id for c in client.list()]
    assert client.list() == []


def test_https_reads_ditto_ca_file_from_the_environment(https_host: HostProcess) -> None:
    env = {"DITTO_SERVER": https_host.url, "DITTO_TOKEN": https_host.token, "DITTO_CA_FILE": str(https_host.ca_file)}
    assert Ditto(env=env).list() == []


def test_https_without_the_ca_file_is_one_clear_error(https_host: HostProcess) -> None:
    with pytest.raises(RemoteError) as caught:
        Ditto(server=https_host.url, token=https_host.token, env={}).status()
    err = caught.value
    assert err.code == "REMOTE"
    assert "presented a certificate this machine does not trust" in err.message
    assert err.hint == "set DITTO_CA_FILE to the PEM file of the CA that signed the host's certificate"
    assert https_host.token not in str(err)


def test_an_unreadable_ca_file_is_a_config_error(https_host: HostProcess, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=r"DITTO_CA_FILE \(.*nope.pem\) cannot be used"):
        Ditto(server=https_host.url, token=https_host.token, ca_file=str(missing), env={}).status()
