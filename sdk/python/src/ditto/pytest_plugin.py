"""pytest fixtures: a fresh copy per test (``ditto_copy``) or one per session (``ditto_session_copy``).

Registered through the ``pytest11`` entry point ``ditto``, so installing the package is all it
takes; nothing runs until a test asks for a fixture. A copy is destroyed in the fixture's
teardown, which pytest runs whether the test passed or failed; if the process dies instead, the
copy's TTL ends it. While a fixture is active, ``DATABASE_URL`` (``--ditto-env-var``) holds its
connection string and ``DITTO_COPY_ID`` its id, as ``ditto run`` sets them.

Options (command line, or the ini file without the dashes: ``ditto_ttl = 15m``):
``--ditto-ttl``, ``--ditto-dump``, ``--ditto-label``, ``--ditto-server``, ``--ditto-obfuscate``,
``--ditto-env-var``. ``@pytest.mark.ditto(ttl=..., dump=..., label=..., obfuscate=...)``
changes them for one test's ``ditto_copy``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

import pytest

from .client import Ditto
from .models import Copy

_DEFAULT_LABEL = "pytest"
_DEFAULT_ENV_VAR = "DATABASE_URL"
_MARKER_KEYS = ("ttl", "dump", "label", "obfuscate")

#: (option, ini name, help) of the options that take a value.
_VALUE_OPTIONS = (
    ("--ditto-ttl", "ditto_ttl", "TTL of each copy: 90s, 15m, 2h, 1d or seconds (default: ditto's ttl); the safety net if pytest dies"),
    ("--ditto-dump", "ditto_dump", "dump to restore into the copies instead of the configured one (a path; with a host: an http(s):// or s3:// URL)"),
    ("--ditto-label", "ditto_label", f"label of the copies, to find them with `ditto ls` / `ditto down --label` (default: {_DEFAULT_LABEL})"),
    ("--ditto-server", "ditto_server", "a ditto host's URL: copies come from it (default: DITTO_SERVER; none: the local ditto executable)"),
    ("--ditto-env-var", "ditto_env_var", f"variable set to the copy's connection string while a fixture is active (default: {_DEFAULT_ENV_VAR}; empty: none)"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ditto", "ditto: a fresh database copy per test (ditto_copy) or per session (ditto_session_copy)")
    for option, ini, help_text in _VALUE_OPTIONS:
        group.addoption(option, dest=ini, default=None, metavar="VALUE", help=help_text)
        parser.addini(ini, help=help_text, default=None)
    group.addoption("--ditto-obfuscate", dest="ditto_obfuscate", action="store_true", default=None, help="apply ditto.yaml's obfuscate rules to every copy")
    parser.addini("ditto_obfuscate", help="apply ditto.yaml's obfuscate rules to every copy", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ditto(ttl=None, dump=None, label=None, obfuscate=None): options of this test's ditto_copy")


def _setting(config: pytest.Config, name: str) -> Any:
    """The command line's value, else the ini file's."""
    value = config.getoption(name, default=None)
    if value is None:
        value = config.getini(name)
    return value if value not in ("", None) else None


def _up_options(config: pytest.Config, marker: Optional[pytest.Mark] = None) -> Dict[str, Any]:
    options: Dict[str, Any] = {
        "ttl": _setting(config, "ditto_ttl"),
        "dump": _setting(config, "ditto_dump"),
        "label": _setting(config, "ditto_label") or _DEFAULT_LABEL,
        "obfuscate": True if _setting(config, "ditto_obfuscate") else None,
    }
    if marker is not None:
        unknown = set(marker.kwargs) - set(_MARKER_KEYS)
        if unknown or marker.args:
            raise pytest.UsageError(f"@pytest.mark.ditto takes the keywords {', '.join(_MARKER_KEYS)}; got {', '.join(sorted(unknown)) or 'positional arguments'}")
        options.update(marker.kwargs)
    return options


def _export(mp: pytest.MonkeyPatch, config: pytest.Config, copy: Copy) -> None:
    env_var = config.getoption("ditto_env_var", default=None)
    if env_var is None:
        env_var = config.getini("ditto_env_var") or _DEFAULT_ENV_VAR
    if env_var and copy.connection_string:
        mp.setenv(env_var, copy.connection_string)
    mp.setenv("DITTO_COPY_ID", copy.id)


@pytest.fixture(scope="session")
def ditto_client(pytestconfig: pytest.Config) -> Ditto:
    """The client the fixtures use: ``--ditto-server``/``DITTO_SERVER`` for a host, else the local ditto."""
    return Ditto(server=_setting(pytestconfig, "ditto_server"))


@pytest.fixture
def ditto_copy(request: pytest.FixtureRequest, ditto_client: Ditto, monkeypatch: pytest.MonkeyPatch) -> Iterator[Copy]:
    """A copy of its own for this test, destroyed after it (passed or failed); DATABASE_URL points at it."""
    options = _up_options(request.config, request.node.get_closest_marker("ditto"))
    with ditto_client.with_copy(**options) as copy:
        _export(monkeypatch, request.config, copy)
        yield copy


@pytest.fixture(scope="session")
def ditto_session_copy(pytestconfig: pytest.Config, ditto_client: Ditto) -> Iterator[Copy]:
    """One copy shared by every test of the session, destroyed at its end; DATABASE_URL points at it."""
    with ditto_client.with_copy(**_up_options(pytestconfig)) as copy, pytest.MonkeyPatch.context() as mp:
        _export(mp, pytestconfig, copy)
        yield copy
