"""Local mode: each call runs the ``ditto`` executable with ``--json``.

The CLI already heals state, picks the runtime and manages the pool, so this module only turns
arguments into flags and the CLI's answer back into objects: stdout is JSON, and a failure is
an exit code with one ``ditto: message; hint`` line on stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .errors import EXIT_CODES, ConfigError, DittoError, InterruptedCopyError, InternalError, error_for
from .models import Copy, CopyEvent, Status, TestDatabase
from .request import UpRequest

#: How long a call may take: making a copy can mean restoring a dump; the rest answers quickly.
UP_TIMEOUT_SECONDS = 15 * 60
CALL_TIMEOUT_SECONDS = 120
#: After SIGTERM, how long the CLI gets to remove a half-made copy before it is killed.
STOP_GRACE_SECONDS = 30

_ERROR_PREFIX = "ditto: "
_NOTICE_PREFIX = "hint: "


def find_executable(explicit: Optional[str], env: Mapping[str, str]) -> str:
    """The ditto executable: ``bin=``, else ``DITTO_BIN``, else ``ditto`` on PATH."""
    chosen = explicit or env.get("DITTO_BIN")
    if chosen:
        where = "bin=" if explicit else "DITTO_BIN"
        if not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
            raise ConfigError(f"{where} ({chosen}) is not an executable file", hint="point it at the ditto executable, or a script that runs it")
        return chosen
    found = shutil.which("ditto", path=env.get("PATH"))
    if not found:
        raise ConfigError(
            "the ditto executable is not on PATH",
            hint="install ditto (./install.sh puts it in ~/.local/bin), set DITTO_BIN to it, or set DITTO_SERVER to use a ditto host",
        )
    return found


def parse_failure(returncode: int, stderr: str, command: str) -> DittoError:
    """The typed error for a failed CLI run: its exit code and its last ``ditto:`` line.

    The line is ``message; hint``; a message may itself hold ``; ``, so the split is a guess,
    but ``str(error)`` is always the whole line.
    """
    if returncode < 0:
        sig = -returncode
        if sig in (signal.SIGINT, signal.SIGTERM):
            return InterruptedCopyError(f"ditto {command} was stopped by signal {sig}")
        return InternalError(f"ditto {command} was killed by signal {sig}")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    line = next((l for l in reversed(lines) if l.startswith(_ERROR_PREFIX)), None)
    code = EXIT_CODES.get(returncode, "INTERNAL")
    if line is None:
        last = lines[-1][:300] if lines else "no message"
        return error_for(code, f"ditto {command} exited with code {returncode}: {last}")
    message, _, hint = line[len(_ERROR_PREFIX) :].partition("; ")
    return error_for(code, message, hint=hint or None)


def _notices(stderr: str) -> List[str]:
    return [line[len(_NOTICE_PREFIX) :].strip() for line in stderr.splitlines() if line.startswith(_NOTICE_PREFIX)]


def check_id(copy_id: str) -> str:
    """A copy id (or prefix) that cannot be taken for a flag, nor leave its URL path segment."""
    if not isinstance(copy_id, str) or not copy_id or copy_id.startswith("-") or len(copy_id) > 64 or any(c.isspace() or c in "/?#%" for c in copy_id):
        raise error_for("BAD_INPUT", f"{copy_id!r} is not a copy id", hint="give the id up() returned, or an unambiguous prefix of it")
    return copy_id


class LocalBackend:
    """Runs ``ditto`` on this machine; copies are made by the CLI against its home and config."""

    mode = "local"

    def __init__(self, executable: Optional[str], env: Mapping[str, str], timeout: Optional[float] = None) -> None:
        self._explicit = executable
        # The CLI must stay local: a DITTO_SERVER it inherited would send it to a host.
        self._env: Dict[str, str] = {k: v for k, v in env.items() if k != "DITTO_SERVER"}
        self._timeout = timeout

    @property
    def executable(self) -> str:
        return find_executable(self._explicit, self._env)

    def _run(self, args: Sequence[str], timeout: float, extra_env: Optional[Mapping[str, str]] = None) -> Tuple[str, str]:
        command = [self.executable, *args]
        env = {**self._env, **(extra_env or {})}
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, encoding="utf-8", errors="replace"
            )
        except OSError as err:
            raise ConfigError(f"cannot run {command[0]}: {err.strerror or err}", hint="set DITTO_BIN to the ditto executable") from None
        try:
            stdout, stderr = proc.communicate(timeout=self._timeout or timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise InterruptedCopyError(
                f"ditto {args[0]} did not finish within {int(self._timeout or timeout)}s and was stopped",
                hint="a copy it was making was removed; raise timeout= if restoring the dump takes longer",
            ) from None
        except BaseException:
            # Ctrl-C or an exception in this process: let the CLI remove what it was making.
            _stop(proc)
            raise
        if proc.returncode != 0:
            raise parse_failure(proc.returncode, stderr, args[0])
        return stdout, stderr

    def _json(self, args: Sequence[str], timeout: float = CALL_TIMEOUT_SECONDS, extra_env: Optional[Mapping[str, str]] = None) -> Tuple[Any, str]:
        stdout, stderr = self._run(args, timeout, extra_env)
        try:
            return json.loads(stdout), stderr
        except ValueError:
            raise InternalError(f"ditto {args[0]} --json printed something other than JSON", hint="check that DITTO_BIN is ditto") from None

    def up(self, request: UpRequest) -> Copy:
        args = ["up", "--json"]
        if request.ttl_seconds is not None:
            args.append(f"--ttl={request.ttl_seconds}")
        if request.label is not None:
            args.append(f"--label={request.label}")
        if request.name is not None:
            args.append(f"--name={request.name}")
        if request.dump is not None:
            args.append(f"--dump={request.dump}")
        if request.obfuscate is not None:
            args.append("--obfuscate" if request.obfuscate else "--no-obfuscate")
        # The CLI reads the CI run from the environment (DITTO_RUN_ID, DITTO_JOB_NAME, or the CI's own).
        extra = {k: v for k, v in (("DITTO_RUN_ID", request.run_id), ("DITTO_JOB_NAME", request.job_name)) if v is not None}
        answer, stderr = self._json(args, UP_TIMEOUT_SECONDS, extra)
        copy = Copy.from_wire(answer, notices=_notices(stderr))
        if not copy.connection_string:
            raise InternalError("ditto up --json printed a copy without a connection string")
        return copy

    def down(self, copy_id: str) -> None:
        self._run(["down", check_id(copy_id)], CALL_TIMEOUT_SECONDS)

    def down_named(self, name: str) -> bool:
        stdout, _ = self._run(["down", f"--name={name}"], CALL_TIMEOUT_SECONDS)
        return stdout.strip() != ""

    def list(self, all: bool = False) -> List[Copy]:
        answer, _ = self._json(["ls", "--json", *(["--all"] if all else [])])
        if not isinstance(answer, list):
            raise InternalError("ditto ls --json printed something other than a list")
        return [Copy.from_wire(w) for w in answer]

    def events(self, copy_id: str) -> List[CopyEvent]:
        answer, _ = self._json(["logs", check_id(copy_id), "--json"])
        if not isinstance(answer, list):
            raise InternalError("ditto logs --json printed something other than a list")
        return [CopyEvent.from_wire(w) for w in answer]

    def status(self) -> Status:
        answer, _ = self._json(["status", "--json"])
        return Status.from_cli(answer)

    def create_database(self, copy_id: str) -> TestDatabase:
        answer, _ = self._json(["db", "new", check_id(copy_id), "--json"])
        return TestDatabase.from_wire(answer)

    def drop_database(self, copy_id: str, database: str) -> None:
        self._run(["db", "drop", check_id(copy_id), database], CALL_TIMEOUT_SECONDS)

    def reset(self, copy_id: str) -> Copy:
        answer, _ = self._json(["reset", check_id(copy_id), "--json"], UP_TIMEOUT_SECONDS)
        return Copy.from_wire(answer)

    def extend(self, copy_id: str, ttl_seconds: int) -> Copy:
        answer, _ = self._json(["extend", check_id(copy_id), f"--ttl={ttl_seconds}", "--json"])
        return Copy.from_wire(answer)

    def describe(self) -> str:
        return "local"


def _stop(proc: "subprocess.Popen[str]") -> None:
    """SIGTERM, a grace period for the CLI's own clean-up, then SIGKILL."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.communicate(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        except BaseException:
            proc.kill()
            raise
