"""What the calls return: a copy, its events, a status report, built from the /v2 wire format.

The wire is snake_case with ISO timestamps (``src/api/wire.ts``); ``ditto ls --json`` prints the
same fields, so local and remote mode parse one shape. Fields a newer ditto adds are kept in
``raw`` rather than refused, as v2 clients ignore what they do not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional

from .errors import RemoteError

Wire = Mapping[str, Any]

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact(connection_string: str) -> str:
    """The connection string with its password replaced, for reprs and messages."""
    return _PASSWORD.sub(r"\1***@", connection_string)


def _time(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        # Python before 3.11 takes no "Z" suffix.
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Copy:
    """A copy of the database. ``connection_string`` is set on the copy ``up()`` returns (lists omit it)."""

    id: str
    status: str
    port: Optional[int]
    ttl_seconds: int
    connection_string: Optional[str] = field(default=None, repr=False)
    warm: bool = False
    runtime: str = "local"
    host: str = ""
    label: Optional[str] = None
    #: Its name (``up(name=...)``), unique among its owner's live copies.
    name: Optional[str] = None
    run_id: Optional[str] = None
    job_name: Optional[str] = None
    created_at: Optional[datetime] = None
    ready_at: Optional[datetime] = None
    expires_at: Optional[datetime] = None
    destroyed_at: Optional[datetime] = None
    error_message: Optional[str] = None
    #: The bytes the copy owns on disk, when the list measured them (``ditto ls --json``); else None.
    disk_bytes: Optional[int] = None
    #: Advice ditto gave with the copy (e.g. that no dump is configured).
    notices: List[str] = field(default_factory=list, repr=False)
    #: The answer as it came, unknown fields included.
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def dsn(self) -> Optional[str]:
        """Another name for ``connection_string``."""
        return self.connection_string

    def __repr__(self) -> str:
        # The password stays out of reprs: pytest prints them in failure reports.
        shown = redact(self.connection_string) if self.connection_string else None
        return (
            f"Copy(id={self.id!r}, status={self.status!r}, port={self.port!r}, ttl_seconds={self.ttl_seconds!r}, "
            f"label={self.label!r}, connection_string={shown!r})"
        )

    @classmethod
    def from_wire(cls, w: Wire, notices: Optional[List[str]] = None) -> "Copy":
        """A copy from the host's answer or ``--json`` output; REMOTE when it has no id or status."""
        if not isinstance(w, Mapping) or not isinstance(w.get("id"), str) or not isinstance(w.get("status"), str):
            raise RemoteError("ditto answered with a copy that has no id or status")
        wire_notices = w.get("notices")
        return cls(
            id=w["id"],
            status=w["status"],
            port=_int(w.get("port")),
            ttl_seconds=_int(w.get("ttl_seconds")) or 0,
            connection_string=_text(w.get("connection_string")),
            warm=w.get("warm") is True,
            runtime=_text(w.get("runtime")) or "local",
            host=_text(w.get("host")) or "",
            label=_text(w.get("label")),
            name=_text(w.get("name")),
            run_id=_text(w.get("run_id")),
            job_name=_text(w.get("job_name")),
            created_at=_time(w.get("created_at")),
            ready_at=_time(w.get("ready_at")),
            expires_at=_time(w.get("expires_at")),
            destroyed_at=_time(w.get("destroyed_at")),
            error_message=_text(w.get("error_message")),
            disk_bytes=_int(w.get("disk_bytes")),
            notices=list(notices) if notices is not None else [str(n) for n in wire_notices] if isinstance(wire_notices, list) else [],
            raw=dict(w),
        )


@dataclass(frozen=True)
class CopyEvent:
    """One step of a copy's life (created, creating, ready, destroying, destroyed, failed...)."""

    action: str
    actor: str
    metadata: Dict[str, Any]
    created_at: Optional[datetime]

    @classmethod
    def from_wire(cls, w: Wire) -> "CopyEvent":
        metadata = w.get("metadata")
        return cls(
            action=str(w.get("action")),
            actor=str(w.get("actor")),
            metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
            created_at=_time(w.get("created_at")),
        )


@dataclass(frozen=True)
class TestDatabase:
    """A database made inside a copy for one test (PostgreSQL), cloned from the copy's starting data."""

    __test__ = False  # not a pytest test class, despite its name
    copy_id: str
    database: str
    connection_string: str = field(repr=False)

    @classmethod
    def from_wire(cls, w: Wire) -> "TestDatabase":
        if not all(isinstance(w.get(k), str) for k in ("copy_id", "database", "connection_string")):
            raise RemoteError("ditto answered without a database and its connection string")
        return cls(copy_id=w["copy_id"], database=w["database"], connection_string=w["connection_string"])


@dataclass(frozen=True)
class Status:
    """What ``ditto status`` reports, in the /v2 status fields (``advertise_host`` is None locally)."""

    version: str
    active_copies: int
    warm_copies: int
    port_pool_free: int
    advertise_host: Optional[str] = None
    provisioning_copies: int = 0
    pool_target: int = 0
    port_range: Optional[Dict[str, int]] = None
    runtime: Optional[Dict[str, str]] = None
    dump: Optional[Dict[str, Any]] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, w: Wire) -> "Status":
        """From GET /v2/status."""
        if not isinstance(w, Mapping) or not isinstance(w.get("version"), str):
            raise RemoteError("the host answered GET /v2/status without a version")
        return cls(
            version=w["version"],
            active_copies=_int(w.get("active_copies")) or 0,
            warm_copies=_int(w.get("warm_copies")) or 0,
            port_pool_free=_int(w.get("port_pool_free")) or 0,
            advertise_host=_text(w.get("advertise_host")),
            provisioning_copies=_int(w.get("provisioning_copies")) or 0,
            pool_target=_int(w.get("pool_target")) or 0,
            port_range=dict(w["port_range"]) if isinstance(w.get("port_range"), Mapping) else None,
            runtime=dict(w["runtime"]) if isinstance(w.get("runtime"), Mapping) else None,
            dump=dict(w["dump"]) if isinstance(w.get("dump"), Mapping) else None,
            raw=dict(w),
        )

    @classmethod
    def from_cli(cls, r: Wire) -> "Status":
        """From ``ditto status --json``, which prints the CLI's own report (camelCase, nested)."""
        if not isinstance(r, Mapping) or not isinstance(r.get("version"), str):
            raise RemoteError("ditto status --json printed no version")
        pool = r.get("pool") or {}
        ports = r.get("ports") or {}
        copies = r.get("copies") or {}
        dump = r.get("dump") or {}
        return cls(
            version=r["version"],
            active_copies=_int(copies.get("active")) or 0,
            warm_copies=_int(pool.get("ready")) or 0,
            port_pool_free=_int(ports.get("free")) or 0,
            advertise_host=None,
            provisioning_copies=_int(copies.get("provisioning")) or 0,
            pool_target=_int(pool.get("target")) or 0,
            port_range={"min": _int(ports.get("min")) or 0, "max": _int(ports.get("max")) or 0},
            runtime=dict(r["runtime"]) if isinstance(r.get("runtime"), Mapping) else None,
            dump={
                "path": dump.get("path"),
                "age_seconds": dump.get("ageSeconds"),
                "stale": dump.get("stale") is True,
                "stale_threshold_seconds": dump.get("staleThresholdSeconds"),
            },
            raw=dict(r),
        )
