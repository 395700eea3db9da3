"""Every call, against the local CLI and against a real host: real copies, queried with psql."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import ditto
from ditto import Ditto
from support import HOST_PORTS, LOCAL_PORTS, HostProcess, TestHome, psql


def ports_of(client: Ditto) -> range:
    low, high = LOCAL_PORTS if client.mode == "local" else HOST_PORTS
    return range(low, high + 1)


def test_named_copy_twice_at_once_is_one_copy_and_down_named_frees_the_name(client: Ditto) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda ttl: client.up(ttl=ttl, name="py-pr-1"), ["10m", "20m"])
    try:
        assert first.id == second.id
        assert first.name == "py-pr-1" and second.name == "py-pr-1"
        assert [c.id for c in client.list() if c.name == "py-pr-1"] == [first.id]
        assert client.down_named("py-pr-1") is True
        assert client.down_named("py-pr-1") is False
        again = client.up(ttl="10m", name="py-pr-1")
        assert again.id != first.id
        client.down(again)
    finally:
        client.down(first.id)
    with pytest.raises(ditto.BadInputError):
        client.up(name="not a name")


def test_up_list_events_status_down(client: Ditto) -> None:
    copy = client.up(ttl="10m", label="calls")
    try:
        assert copy.status == "ready"
        assert copy.ttl_seconds == 600
        assert copy.label == "calls"
        assert copy.port in ports_of(client)
        assert copy.connection_string and copy.connection_string.startswith("postgresql://")
        assert f":{copy.port}/" in copy.connection_string
        assert copy.created_at is not None and copy.expires_at is not None
        assert copy.notices, "an empty copy comes with the notice that no dump is configured"
        result = psql(copy.connection_string, "SELECT 40 + 2")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "42"

        listed = {c.id: c for c in client.list()}
        assert copy.id in listed
        assert listed[copy.id].status == "ready"
        assert listed[copy.id].connection_string is None, "a list never carries passwords"

        actions = [e.action for e in client.events(copy)]
        assert actions[0] == "created" and "ready" in actions

        status = client.status()
        assert status.version
        assert status.active_copies >= 1
        assert status.port_range == {"min": ports_of(client).start, "max": ports_of(client).stop - 1}
        assert status.runtime and status.runtime["name"] == "local"
        if client.mode == "remote":
            assert status.advertise_host == "127.0.0.1"
    finally:
        client.down(copy.id)

    assert copy.id not in [c.id for c in client.list()]
    gone = {c.id: c for c in client.list(all=True)}[copy.id]
    assert gone.status == "destroyed" and gone.destroyed_at is not None
    assert "destroyed" in [e.action for e in client.events(copy.id)]
    assert psql(copy.connection_string, "SELECT 1").returncode != 0, "the server is gone"
    # Destroying it again is no error.
    client.down(copy)


def test_down_takes_an_unambiguous_prefix(client: Ditto) -> None:
    copy = client.up(ttl=300)
    client.down(copy.id[:8])
    assert copy.id not in [c.id for c in client.list()]


def test_with_copy_destroys_the_copy_when_the_body_raises(client: Ditto) -> None:
    seen = []
    with pytest.raises(RuntimeError, match="on purpose"):
        with client.with_copy(ttl="5m", label="with-copy") as copy:
            seen.append(copy)
            assert psql(copy.connection_string, "CREATE TABLE t (id int)").returncode == 0
            raise RuntimeError("on purpose")
    assert seen, "the body ran"
    assert {c.id: c.status for c in client.list(all=True)}[seen[0].id] == "destroyed"


def test_with_copy_calls_a_function_and_returns_its_result(client: Ditto) -> None:
    seen = []

    def body(copy: ditto.Copy) -> str:
        seen.append(copy.id)
        return psql(copy.connection_string, "SELECT current_database()").stdout.strip()

    assert client.with_copy(body, ttl=120) == "postgres"
    assert {c.id: c.status for c in client.list(all=True)}[seen[0]] == "destroyed"


def test_with_copy_makes_nothing_until_entered(client: Ditto) -> None:
    before = len(client.list(all=True))
    client.with_copy(ttl="1m")  # never entered
    assert len(client.list(all=True)) == before


def test_module_functions_take_the_mode_from_the_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, cli: Path, local_home: TestHome, mode: str
) -> None:
    for name in ("DITTO_SERVER", "DITTO_TOKEN", "DITTO_BIN", "DITTO_HOME", "DITTO_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    if mode == "local":
        monkeypatch.setenv("DITTO_BIN", str(cli))
        monkeypatch.setenv("DITTO_HOME", str(local_home.dir))
        monkeypatch.setenv("DITTO_CONFIG", str(local_home.config_file))
    else:
        host: HostProcess = request.getfixturevalue("host")
        monkeypatch.setenv("DITTO_SERVER", host.url)
        monkeypatch.setenv("DITTO_TOKEN", host.token)
    assert Ditto().mode == mode
    with ditto.with_copy(ttl="2m", label="module") as copy:
        assert copy.id in [c.id for c in ditto.list()]
        assert [e.action for e in ditto.events(copy)][0] == "created"
        assert ditto.status().active_copies >= 1
    assert copy.id not in [c.id for c in ditto.list()]
    other = ditto.up(ttl=60)
    ditto.down(other)
    assert other.id not in [c.id for c in ditto.list()]


def test_run_id_and_job_name_reach_the_copy(client: Ditto, cli: Path) -> None:
    if client.mode == "local":
        help_text = subprocess.run([str(cli), "down", "--help"], capture_output=True, text=True, timeout=60).stdout
        if "--run-id" not in help_text:
            pytest.skip("this ditto CLI does not record CI runs yet (DITTO_RUN_ID): it comes with the CLI's CI-run support")
    with client.with_copy(ttl=120, run_id="run-7", job_name="unit tests") as copy:
        assert (copy.run_id, copy.job_name) == ("run-7", "unit tests")
        listed = {c.id: c for c in client.list()}[copy.id]
        assert (listed.run_id, listed.job_name) == ("run-7", "unit tests")


def test_remote_mode_takes_the_ci_run_from_the_ci_variables(host: HostProcess) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "4242", "GITHUB_JOB": "build"}
    client = Ditto(server=host.url, token=host.token, env=env)
    with client.with_copy(ttl=120) as copy:
        assert (copy.run_id, copy.job_name) == ("4242", "build")


def test_reprs_hold_no_password_or_token(client: Ditto, host: HostProcess) -> None:
    with client.with_copy(ttl=120) as copy:
        assert copy.connection_string
        password = copy.connection_string.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password and password not in repr(copy)
        assert "***" in repr(copy)
    assert host.token not in repr(Ditto(server=host.url, token=host.token))


@pytest.fixture(params=["local", "remote"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


def test_test_databases_reset_and_extend(client: Ditto) -> None:
    """Per-test databases are isolated from each other; reset brings data back under the same DSN; extend moves the expiry."""
    copy = client.up(ttl="10m")
    try:
        first = client.create_database(copy)
        second = client.create_database(copy.id)
        assert first.database != second.database and first.copy_id == copy.id
        assert psql(first.connection_string, "CREATE TABLE only_here (x int)").returncode == 0
        assert "does not exist" in psql(second.connection_string, "SELECT * FROM only_here").stderr
        client.drop_database(copy, first.database)
        with pytest.raises(ditto.NotFoundError):
            client.drop_database(copy, first.database)

        assert psql(copy.connection_string, "CREATE TABLE written (x int)").returncode == 0
        reset = client.reset(copy)
        assert reset.connection_string == copy.connection_string
        assert "does not exist" in psql(copy.connection_string, "SELECT * FROM written").stderr

        extended = client.extend(copy, "2h")
        assert extended.expires_at is not None and copy.expires_at is not None
        assert (extended.expires_at - copy.expires_at).total_seconds() > 3000
    finally:
        client.down(copy)
