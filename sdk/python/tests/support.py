"""What the tests run ditto with: the built CLI, a ditto home of their own, a real ``ditto host``.

Everything listens on 127.0.0.1, in the port range 30000-30099, which no other suite of the
project uses, so this one runs beside them.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[3]
SDK = REPO / "sdk" / "python"
SDK_SRC = SDK / "src"
CLI = REPO / "dist" / "ditto.cjs"
SAMPLES = Path(__file__).resolve().parent / "samples"

#: Copy ports of each home: the local-mode home, the host's home; the HTTPS host makes no copies.
LOCAL_PORTS = (30000, 30049)
HOST_PORTS = (30050, 30089)
HTTPS_HOST_PORTS = (30090, 30099)

#: How long clean-up waits for ditto's processes (servers, the maintainer) to end.
SETTLE_SECONDS = 30


def node() -> str:
    found = shutil.which("node")
    if not found:
        raise RuntimeError("node is not on PATH: the tests run the built ditto CLI with it")
    return found


def build_cli() -> Path:
    """``dist/ditto.cjs``, built (``node scripts/build.mjs``) when missing or older than a source file."""
    newest = max((p.stat().st_mtime for p in (REPO / "src").rglob("*.ts")), default=0.0)
    if not CLI.exists() or CLI.stat().st_mtime < newest:
        subprocess.run([node(), "scripts/build.mjs"], cwd=REPO, check=True, timeout=300, stdout=subprocess.DEVNULL)
    return CLI


def write_wrapper(directory: Path) -> Path:
    """A ``ditto`` executable for DITTO_BIN: node running the built CLI."""
    wrapper = directory / "ditto"
    wrapper.write_text(f'#!/bin/sh\nexec "{node()}" "{CLI}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def psql_path() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True)), None)
    if not found:
        raise RuntimeError("psql is not installed: the tests query copies with it (apt-get install postgresql-client)")
    return found


def psql(dsn: str, sql: str) -> subprocess.CompletedProcess:
    """Runs SQL on a copy; stdout is the bare result (``-A -t``)."""
    return subprocess.run(
        [psql_path(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )


def unused_port() -> int:
    """A loopback port nothing listens on (the kernel's pick, released again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_under(*roots: Path) -> List[Tuple[int, str]]:
    """Live processes working in, or naming a data directory in, one of ``roots``: (pid, command line)."""
    prefixes = [str(r).rstrip("/") + "/" for r in roots]
    found: List[Tuple[int, str]] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd") + "/"
            except OSError:
                cwd = ""
        except OSError:
            continue
        if not cmdline:
            continue  # a zombie
        if any(cwd.startswith(p) or p in cmdline for p in prefixes):
            found.append((int(entry), cmdline))
    return found


class TestHome:
    """A ditto home of its own (temp dir, ditto.yaml with this suite's port range), and its CLI."""

    __test__ = False

    def __init__(self, ports: Tuple[int, int], extra_config: str = "") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ditto-pytest-"))
        self.ports = ports
        self.config_file = self.dir / "ditto.yaml"
        self.config_file.write_text(
            "runtime: local\n" f"ports: {{min: {ports[0]}, max: {ports[1]}}}\n" "pool: {size: 0}\n" + extra_config
        )

    @property
    def local_root(self) -> Path:
        """Where the local runtime keeps this home's copies (src/runtimes/registry.ts, defaultLocalRoot)."""
        if os.getuid() == 0:
            return Path(f"/var/tmp/ditto-{hashlib.sha256(str(self.dir).encode()).hexdigest()[:12]}")
        return self.dir / "local"

    def env(self, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The environment for local mode against this home: no DITTO_* of the caller's."""
        source = dict(os.environ if base is None else base)
        clean = {k: v for k, v in source.items() if not k.startswith("DITTO_")}
        return {**clean, "DITTO_HOME": str(self.dir), "DITTO_CONFIG": str(self.config_file)}

    def run(self, args: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([node(), str(CLI), *args], env=self.env(), cwd=self.dir, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def ls(self, all: bool = False) -> List[dict]:
        result = self.run(["ls", "--json", *(["--all"] if all else [])])
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def servers(self) -> List[Tuple[int, str]]:
        """Database servers (and anything else) still running in this home's copies."""
        return processes_under(self.local_root / "copies")

    def cleanup(self) -> List[str]:
        """Destroys everything, waits for ditto's processes to end, removes the home; what was left behind."""
        left: List[str] = []
        active = self.ls()
        if active:
            left.append(f"copies still active: {', '.join(c['id'] for c in active)}")
        for args in (["pool", "drain"], ["down", "--all"], ["prune"]):
            self.run(args)
        deadline = time.monotonic() + SETTLE_SECONDS
        while processes_under(self.dir, self.local_root) and time.monotonic() < deadline:
            time.sleep(0.2)
        lingering = processes_under(self.dir, self.local_root)
        if lingering:
            left.append(f"processes still running: {lingering}")
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.local_root.exists():
            left.append(f"{self.local_root} is still there")
        return left


class HostProcess:
    """``ditto host`` on 127.0.0.1 and a port the kernel picks; its URL comes from its first log line."""

    def __init__(self, home: TestHome, token: str) -> None:
        self.home = home
        self.token = token
        #: The CA of the host's certificate, when it serves HTTPS.
        self.ca_file: Optional[Path] = None
        self.log: List[str] = []
        self.proc = subprocess.Popen(
            [node(), str(CLI), "host", "--listen", "127.0.0.1", "--port", "0"],
            env=home.env(),
            cwd=home.dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = self._wait_listening(20)
        # Keep reading, so a full pipe never blocks the host.
        threading.Thread(target=self._drain, daemon=True).start()

    @classmethod
    def start(cls, home: TestHome) -> "HostProcess":
        return cls(home, secrets.token_hex(16))

    def _wait_listening(self, seconds: float) -> str:
        found: List[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.log.append(line.rstrip("\n"))
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("msg") == "ditto host listening" and isinstance(entry.get("url"), str):
                    found.append(entry["url"])
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(seconds)
        if not found:
            self.stop()
            raise RuntimeError("ditto host did not say where it listens:\n" + "\n".join(self.log))
        return found[0]

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line.rstrip("\n"))

    def stop(self) -> Optional[int]:
        """SIGTERM, as an operator stops it; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def sample_env(mode: str, cli: Path, home: TestHome, host: Optional[HostProcess]) -> Dict[str, str]:
    """What a pytest session in ``mode`` needs to reach ditto: DITTO_BIN and the home, or the host."""
    if mode == "local":
        return {"DITTO_BIN": str(cli), "DITTO_HOME": str(home.dir), "DITTO_CONFIG": str(home.config_file)}
    assert host is not None
    return {"DITTO_SERVER": host.url, "DITTO_TOKEN": host.token}

