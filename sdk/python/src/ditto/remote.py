"""Remote mode: the /v2 API of a ``ditto host`` over urllib, with ``DITTO_TOKEN`` as the bearer.

It behaves as the CLI's ``--remote`` client does (``src/client/http-client.ts``): the same
request fields, the host's ``{"error", "code", "hint"}`` answer turned into the same typed
error, HTTPS trusting the system's CA store plus ``DITTO_CA_FILE``, and no proxy (the CLI uses
none either, and a token must not pass through one it was not meant for).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Mapping, Optional

from .errors import ERROR_CODES, STATUS_CODES, BadInputError, ConfigError, DittoError, RemoteError, UnauthorizedError, error_for
from .local import check_id
from .models import Copy, CopyEvent, Status, TestDatabase
from .request import UpRequest, ci_run

#: A copy can take a while to make (a restore, a wait for the pool); everything else answers quickly.
CREATE_TIMEOUT_SECONDS = 10 * 60
REQUEST_TIMEOUT_SECONDS = 60
#: Dumps a host can fetch itself; anything else is a path on the caller's disk.
_REMOTE_DUMP = re.compile(r"^(https?|s3)://", re.IGNORECASE)


class RemoteBackend:
    """Talks to the ditto host at ``server``; every failure is a DittoError naming the host, never the token."""

    mode = "remote"

    def __init__(self, server: str, token: Optional[str], ca_file: Optional[str], env: Mapping[str, str], timeout: Optional[float] = None) -> None:
        parts = urllib.parse.urlsplit(server.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInputError(f"DITTO_SERVER '{server}' is not an http(s):// URL", hint="give the host as http://HOST:PORT")
        # Paths are joined under the URL's own path, so a host behind a prefix (https://ci/ditto) works.
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        # Credentials in the URL are dropped: the token is the only secret, and messages name the URL.
        netloc = parts.netloc.rpartition("@")[2]
        self.url = urllib.parse.urlunsplit((parts.scheme, netloc, path, "", "")).rstrip("/")
        self._base = self.url + "/"
        self._token = token
        self._ca_file = ca_file
        self._env = env
        self._timeout = timeout
        self._opener: Optional[urllib.request.OpenerDirector] = None

    def describe(self) -> str:
        return f"remote {self.url}"

    def _tls(self) -> ssl.SSLContext:
        """The system's CAs, plus those of DITTO_CA_FILE (the host's own, or a company's)."""
        context = ssl.create_default_context()
        if self._ca_file:
            try:
                context.load_verify_locations(cafile=self._ca_file)
            except (OSError, ssl.SSLError) as err:
                reason = getattr(err, "strerror", None) or getattr(err, "reason", None) or str(err)
                raise ConfigError(f"DITTO_CA_FILE ({self._ca_file}) cannot be used: {reason}", hint="set DITTO_CA_FILE to a PEM file of CA certificates") from None
        return context

    def _open(self, request: urllib.request.Request, timeout: float) -> Any:
        if self._opener is None:
            handlers: List[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({}), _NoRedirects()]
            if self._base.startswith("https:"):
                handlers.append(urllib.request.HTTPSHandler(context=self._tls()))
            self._opener = urllib.request.build_opener(*handlers)
        return self._opener.open(request, timeout=timeout)

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None, timeout: float = REQUEST_TIMEOUT_SECONDS) -> Any:
        """One request; the parsed JSON answer (None for 204), or the host's error as a DittoError."""
        if not self._token:
            raise UnauthorizedError(
                f"DITTO_TOKEN is not set; the host at {self.url} needs a token",
                hint="export DITTO_TOKEN=<the token the host operator gave you>, or pass token=",
            )
        headers = {"authorization": f"Bearer {self._token}", "accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        request = urllib.request.Request(self._base + path, data=data, headers=headers, method=method)
        limit = self._timeout or timeout
        try:
            with self._open(request, limit) as response:
                status = response.status
                text = response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as err:
            try:
                text = err.read().decode("utf-8", errors="replace")
            except OSError:
                text = ""
            finally:
                err.close()
            if 300 <= err.code < 400:
                location = err.headers.get("location") if err.headers else None
                raise RemoteError(
                    f"the host at {self.url} answered {method} /{path} with a redirect to {location or 'nowhere'}",
                    hint="set DITTO_SERVER to the URL the host is served at (the token is not sent on to another address)",
                    status=err.code,
                ) from None
            raise _failure(err.code, err.reason, text, err.headers.get("retry-after") if err.headers else None) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            raise self._unreachable(err, limit) from None
        if status == 204 or text == "":
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise RemoteError(f"the host at {self.url} answered {method} /{path} with something other than JSON", hint="check that DITTO_SERVER names a ditto host") from None

    def _unreachable(self, err: BaseException, limit: float) -> RemoteError:
        reason = err.reason if isinstance(err, urllib.error.URLError) else err
        if isinstance(reason, ssl.SSLCertVerificationError):
            hint = (
                f"check that DITTO_CA_FILE ({self._ca_file}) holds the CA that signed the host's certificate"
                if self._ca_file
                else "set DITTO_CA_FILE to the PEM file of the CA that signed the host's certificate"
            )
            return RemoteError(f"the ditto host at {self.url} presented a certificate this machine does not trust ({reason.verify_message})", hint=hint)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return RemoteError(f"the host at {self.url} did not answer within {int(limit)}s")
        what = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason) or type(reason).__name__
        return RemoteError(f"cannot reach the ditto host at {self.url}: {what}", hint="check DITTO_SERVER, and that `ditto host` runs there")

    def up(self, request: UpRequest) -> Copy:
        if request.dump is not None and not _REMOTE_DUMP.match(request.dump):
            raise BadInputError(
                f"dump {request.dump} is a local file, which the host at {self.url} cannot read",
                hint="give an http(s):// or s3:// URL the host can fetch, or use local mode (no DITTO_SERVER)",
            )
        run_id, job_name = ci_run(self._env)
        body = {
            "ttl_seconds": request.ttl_seconds,
            "label": request.label,
            "name": request.name,
            "run_id": request.run_id or run_id,
            "job_name": request.job_name or job_name,
            "dump_uri": request.dump,
            "obfuscate": request.obfuscate,
        }
        answer = self._call("POST", "v2/copies", {k: v for k, v in body.items() if v is not None}, CREATE_TIMEOUT_SECONDS)
        copy = Copy.from_wire(answer)
        if not copy.connection_string:
            raise RemoteError(f"the host at {self.url} answered without a connection string")
        return copy

    def down(self, copy_id: str) -> None:
        self._call("DELETE", "v2/copies/" + urllib.parse.quote(check_id(copy_id), safe=""))

    def down_named(self, name: str) -> bool:
        # The host answers ?name= with the caller's own live copy of that name (names are per owner).
        answer = self._call("GET", "v2/copies?" + urllib.parse.urlencode({"name": name}))
        if not isinstance(answer, list):
            raise RemoteError(f"the host at {self.url} answered GET /v2/copies with something other than a list")
        for w in answer:
            self.down(Copy.from_wire(w).id)
        return bool(answer)

    def list(self, all: bool = False) -> List[Copy]:
        answer = self._call("GET", "v2/copies?all=true" if all else "v2/copies")
        if not isinstance(answer, list):
            raise RemoteError(f"the host at {self.url} answered GET /v2/copies with something other than a list")
        return [Copy.from_wire(w) for w in answer]

    def events(self, copy_id: str) -> List[CopyEvent]:
        answer = self._call("GET", f"v2/copies/{urllib.parse.quote(check_id(copy_id), safe='')}/events")
        if not isinstance(answer, list):
            raise RemoteError(f"the host at {self.url} answered with something other than a list of events")
        return [CopyEvent.from_wire(w) for w in answer]

    def status(self) -> Status:
        return Status.from_wire(self._call("GET", "v2/status"))

    def _copy_path(self, copy_id: str) -> str:
        return "v2/copies/" + urllib.parse.quote(check_id(copy_id), safe="")

    def create_database(self, copy_id: str) -> TestDatabase:
        return TestDatabase.from_wire(self._call("POST", self._copy_path(copy_id) + "/databases"))

    def drop_database(self, copy_id: str, database: str) -> None:
        self._call("DELETE", self._copy_path(copy_id) + "/databases/" + urllib.parse.quote(database, safe=""))

    def reset(self, copy_id: str) -> Copy:
        return Copy.from_wire(self._call("POST", self._copy_path(copy_id) + "/reset", None, CREATE_TIMEOUT_SECONDS))

    def extend(self, copy_id: str, ttl_seconds: int) -> Copy:
        return Copy.from_wire(self._call("PATCH", self._copy_path(copy_id), {"ttl_seconds": ttl_seconds}))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would send the bearer token on to wherever they point."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def _retry_after(value: Optional[str]) -> Optional[int]:
    return int(value) if value and value.strip().isdigit() else None


def _failure(status: int, reason: str, text: str, retry_after: Optional[str]) -> DittoError:
    """The host's ``{"error", "code", "hint"}`` answer as the DittoError it was there."""
    body: Dict[str, Any] = {}
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            body = parsed
    except ValueError:
        pass  # Not ours (a proxy's page): the status says enough.
    code = body.get("code")
    if not (isinstance(code, str) and code in ERROR_CODES):
        code = STATUS_CODES.get(status, "REMOTE")
    error = body.get("error")
    message = error.split("\n")[0] if isinstance(error, str) and error else f"the host answered {status} {reason}".rstrip()
    hint = body.get("hint") if isinstance(body.get("hint"), str) else None
    return error_for(code, message, hint=hint, status=status, retry_after_seconds=_retry_after(retry_after))

