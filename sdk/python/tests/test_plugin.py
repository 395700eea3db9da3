"""The pytest plugin, run as users run it: pytest sessions of their own (pytester, in a subprocess).

A sample module gets a copy per test, isolated from the others, and one per session; after the
session every copy it had is destroyed, the failing test's too, and no server is left running.
"""

from __future__ import annotations

import os
import uuid
from importlib import metadata
from pathlib import Path
from typing import List, Optional

import pytest

from ditto import Ditto
from support import SAMPLES, SDK_SRC, HostProcess, TestHome, psql_path, sample_env

SAMPLE = SAMPLES / "isolation_sample.py"
DITTO_VARS = ("DITTO_SERVER", "DITTO_TOKEN", "DITTO_BIN", "DITTO_HOME", "DITTO_CONFIG", "DITTO_CA_FILE", "DATABASE_URL", "DITTO_COPY_ID")


def plugin_args() -> List[str]:
    """``-p ditto.pytest_plugin``, unless this interpreter has the package installed (its entry point loads it)."""
    try:
        installed = any(ep.name == "ditto" for ep in metadata.entry_points(group="pytest11"))  # type: ignore[call-arg]
    except TypeError:  # Python 3.9
        installed = any(ep.name == "ditto" for ep in metadata.entry_points().get("pytest11", []))  # type: ignore[attr-defined]
    return [] if installed else ["-p", "ditto.pytest_plugin"]


def prepare(monkeypatch: pytest.MonkeyPatch, env: dict) -> None:
    for name in DITTO_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SDK_SRC), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("DITTO_SAMPLE_PSQL", psql_path())


@pytest.mark.parametrize("mode", ["local", "remote"])
def test_a_sample_module_gets_isolated_copies_and_leaves_none(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, cli: Path, local_home: TestHome, mode: str
) -> None:
    host: Optional[HostProcess] = request.getfixturevalue("host") if mode == "remote" else None
    home = local_home if host is None else host.home
    client = Ditto(bin=str(cli), env=local_home.env()) if host is None else Ditto(server=host.url, token=host.token, env={})
    prepare(monkeypatch, sample_env(mode, cli, local_home, host))
    ids_file = pytester.path / "ids.txt"
    monkeypatch.setenv("DITTO_SAMPLE_IDS", str(ids_file))
    pytester.makepyfile(test_isolation=SAMPLE.read_text())
    label = f"sample-{mode}-{uuid.uuid4().hex[:8]}"

    result = pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", f"--ditto-label={label}", "--ditto-ttl=10m", timeout=300)

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*failing on purpose*"])
    ids = ids_file.read_text().split()
    assert len(ids) == 5 and len(set(ids)) == 5, ids
    copies = {c.id: c for c in client.list(all=True)}
    for copy_id in ids:
        assert copies[copy_id].label == label
        assert copies[copy_id].status == "destroyed", f"{copy_id} outlived the session"
        assert copies[copy_id].ttl_seconds == 600
    assert client.list() == [], "no copy is left after the session"
    assert home.servers() == [], "no server is left running after the session"


def test_options_come_from_the_ini_file_and_the_marker(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, cli: Path, local_home: TestHome) -> None:
    prepare(monkeypatch, sample_env("local", cli, local_home, None))
    monkeypatch.setenv("DATABASE_URL", "outer")
    dump = pytester.path / "seed.sql"
    dump.write_text("CREATE TABLE seeded (name text);\nINSERT INTO seeded VALUES ('from the dump');\n")
    pytester.makeini(f"[pytest]\nditto_ttl = 7m\nditto_dump = {dump}\nditto_label = from-ini\n")
    pytester.makepyfile(
        test_options=f"""
        import os, subprocess
        import pytest

        def query(dsn, sql):
            return subprocess.run([{psql_path()!r}, "-X", "-A", "-t", "-d", dsn, "-c", sql], capture_output=True, text=True, timeout=60).stdout.strip()

        def test_ini_options(ditto_copy):
            assert ditto_copy.ttl_seconds == 420
            assert ditto_copy.label == "from-ini"
            assert query(ditto_copy.connection_string, "SELECT name FROM seeded") == "from the dump"

        @pytest.mark.ditto(ttl="3m", label="marked")
        def test_marker_options(ditto_copy):
            assert (ditto_copy.ttl_seconds, ditto_copy.label) == (180, "marked")

        def test_database_url_is_restored_after_a_fixture():
            assert os.environ["DATABASE_URL"] == "outer"
            assert "DITTO_COPY_ID" not in os.environ
        """
    )
    result = pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", timeout=300)
    result.assert_outcomes(passed=3)

    # The command line wins over the ini file; --ditto-env-var names another variable.
    pytester.makepyfile(
        test_cli_options="""
        import os

        def test_command_line_options(ditto_copy):
            assert ditto_copy.ttl_seconds == 120
            assert os.environ["MY_DB"] == ditto_copy.connection_string
            assert os.environ["DATABASE_URL"] == "outer"
        """
    )
    result = pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "--ditto-ttl=2m", "--ditto-env-var=MY_DB", "test_cli_options.py", timeout=300)
    result.assert_outcomes(passed=1)
    assert local_home.ls() == []


def test_help_lists_the_options(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(monkeypatch, {})
    result = pytester.runpytest_subprocess(*plugin_args(), "--help", timeout=120)
    result.stdout.fnmatch_lines(
        [
            "ditto: a fresh database copy per test*",
            "*--ditto-ttl=VALUE*",
            "*--ditto-dump=VALUE*",
            "*--ditto-label=VALUE*",
            "*--ditto-server=VALUE*",
            "*--ditto-env-var=VALUE*",
            "*--ditto-obfuscate*",
            "*ditto_ttl (string)*",
        ]
    )


def test_the_fixtures_need_no_ditto_until_used(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Installed, the plugin loads in every pytest session: one without ditto must not notice.
    prepare(monkeypatch, {"DITTO_BIN": str(tmp_path / "no-such-ditto")})
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", timeout=120).assert_outcomes(passed=1)
    # Used without ditto: one clear error at set-up.
    pytester.makepyfile(test_needs_copy="def test_needs_copy(ditto_copy):\n    pass\n")
    result = pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "test_needs_copy.py", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ConfigError: DITTO_BIN (*) is not an executable file; point it at the ditto executable*"])
