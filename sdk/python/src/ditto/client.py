"""The client: one set of calls, answered by the local CLI or by a ditto host.

The mode is chosen once, when the client is made: remote when a server is given (``server=`` or
``DITTO_SERVER``), local otherwise, so a test suite moves to a shared host by setting one
variable and changes no code.
"""

from __future__ import annotations

import contextlib
import os
from typing import Callable, ContextManager, Iterator, List, Mapping, Optional, TypeVar, Union, overload

from .errors import DittoError
from .local import LocalBackend
from .models import Copy, CopyEvent, Status, TestDatabase
from .remote import RemoteBackend
from .request import check_name, Duration, UpRequest

T = TypeVar("T")
CopyRef = Union[Copy, str]


def _copy_id(copy: CopyRef) -> str:
    return copy.id if isinstance(copy, Copy) else copy


class Ditto:
    """Copies of the database, from this machine's ``ditto`` or a shared host.

    ``server`` (default ``DITTO_SERVER``) selects remote mode, with ``token`` (default
    ``DITTO_TOKEN``) and ``ca_file`` (default ``DITTO_CA_FILE``). Otherwise ``bin`` (default
    ``DITTO_BIN``, else ``ditto`` on PATH) is run with ``--json``; ``DITTO_HOME`` and
    ``DITTO_CONFIG`` reach it through ``env`` (default: this process's environment).
    ``timeout`` (seconds) bounds every call instead of the defaults (15 min to make a copy
    locally, 10 min remotely, 1 to 2 min for the rest).
    """

    def __init__(
        self,
        server: Optional[str] = None,
        token: Optional[str] = None,
        *,
        bin: Optional[str] = None,
        ca_file: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> None:
        environ = dict(os.environ if env is None else env)
        server = server or environ.get("DITTO_SERVER") or None
        self._backend: Union[LocalBackend, RemoteBackend]
        if server:
            self._backend = RemoteBackend(
                server,
                token or environ.get("DITTO_TOKEN") or None,
                ca_file or environ.get("DITTO_CA_FILE") or None,
                environ,
                timeout,
            )
        else:
            self._backend = LocalBackend(bin, environ, timeout)

    @property
    def mode(self) -> str:
        """``"local"`` or ``"remote"``."""
        return self._backend.mode

    @property
    def server(self) -> Optional[str]:
        """The host's URL in remote mode."""
        return self._backend.url if isinstance(self._backend, RemoteBackend) else None

    def __repr__(self) -> str:
        # Never the token.
        return f"Ditto({self._backend.describe()})"

    def up(
        self,
        ttl: Optional[Duration] = None,
        label: Optional[str] = None,
        dump: Optional[str] = None,
        run_id: Optional[str] = None,
        job_name: Optional[str] = None,
        obfuscate: Optional[bool] = None,
        name: Optional[str] = None,
    ) -> Copy:
        """A fresh copy (a warm one from the pool when there is one), with its connection string.

        ``ttl``: seconds, or ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` (default: ditto's ``ttl``).
        ``dump``: a dump to restore instead of the configured one (remote: an http(s):// or
        s3:// URL the host may fetch). ``run_id``/``job_name`` default to ``DITTO_RUN_ID``/
        ``DITTO_JOB_NAME`` or the CI's own variables. The copy lives until ``down()`` or its TTL.
        ``name``: your live copy of that name when there is one (its TTL renewed to ``ttl``), else
        a new one with it: a copy per branch or pull request (``"pr-123"``).
        """
        request = UpRequest.build(ttl=ttl, label=label, dump=dump, run_id=run_id, job_name=job_name, obfuscate=obfuscate, name=name)
        return self._backend.up(request)

    def down(self, copy: CopyRef) -> None:
        """Destroys a copy (a Copy, an id or an unambiguous prefix); one already gone is no error."""
        self._backend.down(_copy_id(copy))

    def down_named(self, name: str) -> bool:
        """Destroys your live copy named ``name``, if there is one; True when one was destroyed."""
        return self._backend.down_named(check_name(name))

    def list(self, all: bool = False) -> List[Copy]:
        """Live copies (``all=True``: destroyed and failed ones too); remotely, the caller's own."""
        return self._backend.list(all)

    def events(self, copy: CopyRef) -> List[CopyEvent]:
        """A copy's lifecycle events, oldest first."""
        return self._backend.events(_copy_id(copy))

    def status(self) -> Status:
        """Runtime, dump freshness, pool, free ports and copy counts."""
        return self._backend.status()

    def create_database(self, copy: CopyRef) -> TestDatabase:
        """A new database inside the copy for one test (PostgreSQL), cloned from its starting data in milliseconds."""
        return self._backend.create_database(_copy_id(copy))

    def drop_database(self, copy: CopyRef, database: str) -> None:
        self._backend.drop_database(_copy_id(copy), database)

    def reset(self, copy: CopyRef) -> Copy:
        """The copy's data back as it started; its connection string unchanged."""
        return self._backend.reset(_copy_id(copy))

    def extend(self, copy: CopyRef, ttl: Duration) -> Copy:
        """The copy now expires ``ttl`` from now."""
        seconds = UpRequest.build(ttl=ttl).ttl_seconds
        assert seconds is not None
        return self._backend.extend(_copy_id(copy), seconds)

    @contextlib.contextmanager
    def _scoped(self, request: UpRequest) -> Iterator[Copy]:
        copy = self._backend.up(request)
        try:
            yield copy
        except BaseException as failure:
            # The body's own failure is the one to report; a copy that cannot be destroyed now
            # still goes at its TTL.
            try:
                self._backend.down(copy.id)
            except DittoError as err:
                if hasattr(failure, "add_note"):
                    failure.add_note(f"ditto: the copy {copy.id} was not destroyed ({err}); it expires at its TTL")
            raise
        self._backend.down(copy.id)

    @overload
    def with_copy(
        self,
        fn: None = None,
        *,
        ttl: Optional[Duration] = ...,
        label: Optional[str] = ...,
        dump: Optional[str] = ...,
        run_id: Optional[str] = ...,
        job_name: Optional[str] = ...,
        obfuscate: Optional[bool] = ...,
    ) -> ContextManager[Copy]: ...

    @overload
    def with_copy(
        self,
        fn: Callable[[Copy], T],
        *,
        ttl: Optional[Duration] = ...,
        label: Optional[str] = ...,
        dump: Optional[str] = ...,
        run_id: Optional[str] = ...,
        job_name: Optional[str] = ...,
        obfuscate: Optional[bool] = ...,
    ) -> T: ...

    def with_copy(
        self,
        fn: Optional[Callable[[Copy], T]] = None,
        *,
        ttl: Optional[Duration] = None,
        label: Optional[str] = None,
        dump: Optional[str] = None,
        run_id: Optional[str] = None,
        job_name: Optional[str] = None,
        obfuscate: Optional[bool] = None,
    ) -> Union[ContextManager[Copy], T]:
        """A copy that is destroyed afterwards, whatever happens in between.

        ``with ditto.with_copy(ttl="15m") as copy: ...`` or ``ditto.with_copy(fn, ttl="15m")``,
        which returns ``fn(copy)``. The arguments are checked before anything is made.
        """
        request = UpRequest.build(ttl=ttl, label=label, dump=dump, run_id=run_id, job_name=job_name, obfuscate=obfuscate)
        scope = self._scoped(request)
        if fn is None:
            return scope
        with scope as copy:
            return fn(copy)
