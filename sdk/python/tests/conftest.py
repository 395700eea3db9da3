"""Session fixtures: the built CLI, a local ditto home, a real ``ditto host``, a client in each mode.

Every home is checked at the end of the session: no copy left, no server process, no directory.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from support import HOST_PORTS, LOCAL_PORTS, SDK_SRC, HostProcess, TestHome, build_cli, write_wrapper

# The package under test, from its source tree (the install test checks `pip install` separately).
sys.path.insert(0, str(SDK_SRC))

from ditto import Ditto  # noqa: E402

pytest_plugins = ["pytester"]
# Sample test modules are run by tests/test_plugin.py, in sessions of their own.
collect_ignore = ["samples"]

MODES = ["local", "remote"]


@pytest.fixture(scope="session")
def cli() -> Iterator[Path]:
    """DITTO_BIN: a wrapper that runs the built dist/ditto.cjs with node."""
    build_cli()
    with tempfile.TemporaryDirectory(prefix="ditto-pytest-bin-") as directory:
        yield write_wrapper(Path(directory))


@pytest.fixture(scope="session")
def local_home(cli: Path) -> Iterator[TestHome]:
    home = TestHome(LOCAL_PORTS)
    yield home
    left = home.cleanup()
    assert not left, f"the local home was not left clean: {left}"


@pytest.fixture(scope="session")
def host(cli: Path) -> Iterator[HostProcess]:
    """A real ``ditto host`` with a home of its own; stopped with SIGTERM at the end."""
    home = TestHome(HOST_PORTS)
    token = os.urandom(16).hex()
    home.config_file.write_text(home.config_file.read_text() + f"host:\n  tokens: [{{name: pytest, token: {token}}}]\n")
    server = HostProcess(home, token)
    yield server
    remaining = Ditto(server=server.url, token=server.token, env={}).list()
    code = server.stop()
    left = home.cleanup()
    assert not remaining, f"copies still on the host at the end: {[c.id for c in remaining]}"
    assert code == 0, "ditto host did not stop cleanly on SIGTERM:\n" + "\n".join(server.log[-20:])
    assert not left, f"the host's home was not left clean: {left}"


@pytest.fixture
def local_client(cli: Path, local_home: TestHome) -> Ditto:
    return Ditto(bin=str(cli), env=local_home.env())


@pytest.fixture
def remote_client(host: HostProcess) -> Ditto:
    # No CI variables of the machine the tests run on: run_id and job_name are what a test gives.
    return Ditto(server=host.url, token=host.token, env={})


@pytest.fixture(params=MODES)
def client(request: pytest.FixtureRequest) -> Ditto:
    """The same test against the local CLI and against the host."""
    return request.getfixturevalue(f"{request.param}_client")
