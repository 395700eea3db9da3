"""ditto: an ephemeral copy of the database in one call, from Python (standard library only).

    import ditto

    with ditto.with_copy(ttl="15m") as copy:
        run_tests(copy.connection_string)

The functions here make a fresh :class:`Ditto` client per call, from the environment as it is
then (``DITTO_SERVER`` selects a shared host); make a ``Ditto`` yourself to fix its settings.
The pytest fixtures ``ditto_copy`` and ``ditto_session_copy`` come with the package
(``ditto.pytest_plugin``, registered as the ``pytest11`` entry point ``ditto``).
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

from .client import CopyRef, Ditto
from .errors import (
    BadInputError,
    CommandNotFoundError,
    ConfigError,
    ConflictError,
    DittoError,
    DumpInvalidError,
    ForbiddenError,
    InternalError,
    InterruptedCopyError,
    SqlError,
    NoCapacityError,
    NoSpaceError,
    NotFoundError,
    ProvisionFailedError,
    QuotaError,
    RemoteError,
    RuntimeUnavailableError,
    StateError,
    TooLargeError,
    UnauthorizedError,
)
from .models import Copy, CopyEvent, Status, TestDatabase
from .request import Duration, parse_duration

__version__ = "0.1.0"


def up(
    ttl: Optional[Duration] = None,
    label: Optional[str] = None,
    dump: Optional[str] = None,
    run_id: Optional[str] = None,
    job_name: Optional[str] = None,
    obfuscate: Optional[bool] = None,
    name: Optional[str] = None,
) -> Copy:
    """A fresh copy, or your live one of ``name``; see :meth:`Ditto.up`. Destroy it with :func:`down`, or use :func:`with_copy`."""
    return Ditto().up(ttl=ttl, label=label, dump=dump, run_id=run_id, job_name=job_name, obfuscate=obfuscate, name=name)


def down(copy: CopyRef) -> None:
    """Destroys a copy (a Copy or its id)."""
    Ditto().down(copy)


def list(all: bool = False) -> List[Copy]:  # noqa: A001 - the CLI's and the JS SDK's name for it
    """Live copies (``all=True``: past ones too)."""
    return Ditto().list(all=all)


def events(copy: CopyRef) -> List[CopyEvent]:
    """A copy's lifecycle events."""
    return Ditto().events(copy)


def status() -> Status:
    """Runtime, dump freshness, pool, free ports and copy counts."""
    return Ditto().status()


def with_copy(fn: Optional[Callable[[Copy], Any]] = None, **options: Any) -> Any:
    """A copy destroyed afterwards: a context manager, or ``fn(copy)``'s result; see :meth:`Ditto.with_copy`."""
    return Ditto().with_copy(fn, **options)


__all__ = [
    "BadInputError",
    "CommandNotFoundError",
    "ConfigError",
    "ConflictError",
    "Copy",
    "CopyEvent",
    "TestDatabase",
    "Ditto",
    "DittoError",
    "DumpInvalidError",
    "Duration",
    "ForbiddenError",
    "InternalError",
    "InterruptedCopyError",
    "SqlError",
    "NoCapacityError",
    "NoSpaceError",
    "NotFoundError",
    "ProvisionFailedError",
    "QuotaError",
    "RemoteError",
    "RuntimeUnavailableError",
    "StateError",
    "Status",
    "TooLargeError",
    "UnauthorizedError",
    "__version__",
    "down",
    "events",
    "parse_duration",
    "status",
    "up",
    "with_copy",
]
# `list` is left out of __all__, so `from ditto import *` does not hide the builtin; ditto.list() is there.
