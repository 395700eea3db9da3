"""Typed errors: the ditto codes of ``src/errors.ts``, with the exit code and HTTP status each means.

Local mode only sees the CLI's exit code and its one ``ditto: message; hint`` line; remote mode
sees the host's ``{"error", "code", "hint"}`` answer. Both end as the same exception class, so a
caller catches ``NotFoundError`` whichever way the copy was asked for.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

#: Each code's process exit code and HTTP status, as ``src/errors.ts`` defines them.
ERROR_CODES: Dict[str, Tuple[int, int]] = {
    "BAD_INPUT": (2, 400),
    "TOO_LARGE": (2, 413),
    "CONFIG": (78, 500),
    "UNAUTHORIZED": (77, 401),
    "FORBIDDEN": (77, 403),
    "NOT_FOUND": (4, 404),
    "CONFLICT": (5, 409),
    "NO_CAPACITY": (75, 503),
    "QUOTA": (75, 429),
    "NO_SPACE": (75, 507),
    "RUNTIME_UNAVAILABLE": (69, 503),
    "DUMP_INVALID": (65, 400),
    "PROVISION_FAILED": (70, 500),
    "STATE": (74, 500),
    "REMOTE": (69, 502),
    "COMMAND_NOT_FOUND": (127, 400),
    "SQL_ERROR": (1, 422),
    "INTERRUPTED": (130, 499),
    "INTERNAL": (70, 500),
}

#: The code an exit code stands for when the CLI is run locally. Where two codes share an exit
#: code, the one a local run can produce wins (a local run is never REMOTE, nor FORBIDDEN).
EXIT_CODES: Dict[int, str] = {
    2: "BAD_INPUT",
    4: "NOT_FOUND",
    5: "CONFLICT",
    65: "DUMP_INVALID",
    69: "RUNTIME_UNAVAILABLE",
    70: "PROVISION_FAILED",
    74: "STATE",
    75: "NO_CAPACITY",
    77: "UNAUTHORIZED",
    78: "CONFIG",
    127: "COMMAND_NOT_FOUND",
    130: "INTERRUPTED",
}

#: The code an HTTP status stands for when a host's answer carries none (a proxy's error page).
STATUS_CODES: Dict[int, str] = {
    400: "BAD_INPUT",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "TOO_LARGE",
    429: "QUOTA",
    499: "INTERRUPTED",
    503: "NO_CAPACITY",
    507: "NO_SPACE",
}


class DittoError(Exception):
    """A failure ditto reports on purpose: what happened (``message``) and what to do (``hint``).

    ``code`` is ditto's name for it (``NOT_FOUND``, ``UNAUTHORIZED``...), ``status`` the HTTP
    status it is (or would be) answered with, ``exit_code`` the CLI's exit code for it. ``str()``
    is the line the CLI prints, without the ``ditto: `` prefix. It never holds a token or password.
    """

    code_name = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        hint: Optional[str] = None,
        status: Optional[int] = None,
        retry_after_seconds: Optional[int] = None,
    ) -> None:
        self.message = message
        self.code: str = code or self.code_name
        self.hint = hint or None
        exit_code, http_status = ERROR_CODES.get(self.code, ERROR_CODES["INTERNAL"])
        self.status: int = status if status is not None else http_status
        self.exit_code: int = exit_code
        #: When trying again may succeed (a host's Retry-After on QUOTA), in seconds.
        self.retry_after_seconds = retry_after_seconds
        super().__init__(self.line)

    @property
    def line(self) -> str:
        """The single line a user sees: the message, then the hint."""
        return f"{self.message}; {self.hint}" if self.hint else self.message

    def __str__(self) -> str:
        return self.line

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r}, hint={self.hint!r})"


class BadInputError(DittoError):
    """A bad argument: a bad TTL, an ambiguous id, a local dump path given to a host."""

    code_name = "BAD_INPUT"


class TooLargeError(BadInputError):
    """A request body over the host's limit."""

    code_name = "TOO_LARGE"


class ConfigError(DittoError):
    """ditto's configuration (or this SDK's: no ``ditto`` executable, a bad ``DITTO_CA_FILE``) is wrong."""

    code_name = "CONFIG"


class UnauthorizedError(DittoError):
    """No token, or one the host does not take."""

    code_name = "UNAUTHORIZED"


class ForbiddenError(DittoError):
    """Another caller's copy, or a dump URI the host does not fetch for callers."""

    code_name = "FORBIDDEN"


class NotFoundError(DittoError):
    """No copy with that id (or none of this caller's)."""

    code_name = "NOT_FOUND"


class ConflictError(DittoError):
    """The copy is not in a state that allows the call."""

    code_name = "CONFLICT"


class NoCapacityError(DittoError):
    """No free port, or the host is full: trying later may work."""

    code_name = "NO_CAPACITY"


class QuotaError(NoCapacityError):
    """The caller holds as many copies as the host allows (``retry_after_seconds`` says when to retry)."""

    code_name = "QUOTA"


class NoSpaceError(NoCapacityError):
    """A disk the copy's data (or ditto's state) is written to is full; the dump is fine."""

    code_name = "NO_SPACE"


class RuntimeUnavailableError(DittoError):
    """No database server binaries and no Docker engine to run copies with."""

    code_name = "RUNTIME_UNAVAILABLE"


class DumpInvalidError(DittoError):
    """The dump is missing, corrupt, or failed to restore."""

    code_name = "DUMP_INVALID"


class ProvisionFailedError(DittoError):
    """Making the copy failed."""

    code_name = "PROVISION_FAILED"


class StateError(DittoError):
    """ditto's state file is damaged or cannot be opened."""

    code_name = "STATE"


class RemoteError(DittoError):
    """The host could not be reached, did not answer in time, or answered something that is not ditto's."""

    code_name = "REMOTE"


class CommandNotFoundError(DittoError):
    """``ditto run``'s command could not be started."""

    code_name = "COMMAND_NOT_FOUND"


class SqlError(DittoError):
    """A statement the copy's database server refused, in its own words (a host's ``/sql`` route)."""

    code_name = "SQL_ERROR"


class InterruptedCopyError(DittoError):
    """The call was interrupted; the half-made copy was removed."""

    code_name = "INTERRUPTED"


class InternalError(DittoError):
    """An unexpected failure inside ditto."""

    code_name = "INTERNAL"


_CLASSES: Dict[str, Type[DittoError]] = {
    cls.code_name: cls
    for cls in (
        BadInputError,
        TooLargeError,
        ConfigError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        NoCapacityError,
        QuotaError,
        NoSpaceError,
        RuntimeUnavailableError,
        DumpInvalidError,
        ProvisionFailedError,
        StateError,
        RemoteError,
        CommandNotFoundError,
        SqlError,
        InterruptedCopyError,
        InternalError,
    )
}


def error_for(
    code: str,
    message: str,
    *,
    hint: Optional[str] = None,
    status: Optional[int] = None,
    retry_after_seconds: Optional[int] = None,
) -> DittoError:
    """The exception class of ``code`` (an unknown code from a newer ditto: the base class, keeping the code)."""
    cls = _CLASSES.get(code, DittoError)
    return cls(message, code=code, hint=hint, status=status, retry_after_seconds=retry_after_seconds)
