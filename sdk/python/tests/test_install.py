"""``pip install ./sdk/python`` into a fresh venv, offline, and the installed pytest plugin at work.

Offline means pip may not fetch the build backend: ``--no-build-isolation --no-index`` builds
with the setuptools the venv sees (``--system-site-packages``). setuptools before 70.1 also
needs the ``wheel`` package for that, which Debian's python3-wheel provides, and a pyenv or
python.org interpreter may lack: the first interpreter that can build is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from ditto import Ditto
from support import SAMPLES, SDK, TestHome, psql_path

#: Whether a venv's python can build a wheel with no network: setuptools, and wheel unless setuptools >= 70.1.
CAN_BUILD = """
import importlib.util, sys
import setuptools.build_meta
major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
sys.exit(0 if (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") else 1)
"""


def interpreters() -> List[str]:
    found: List[str] = []
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if candidate and os.path.exists(candidate) and os.path.realpath(candidate) not in [os.path.realpath(f) for f in found]:
            found.append(candidate)
    return found


def clean_env() -> Dict[str, str]:
    """No PYTHONPATH (the package must come from the venv) and no DITTO_* of the caller's."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME") and not k.startswith("DITTO_") and not k.startswith("PIP_")}


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A venv with the package pip-installed from a copy of sdk/python (so the worktree gets no build files)."""
    root = tmp_path_factory.mktemp("install")
    package = root / "package"
    shutil.copytree(SDK, package, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    reasons: List[str] = []
    for n, base in enumerate(interpreters()):
        venv = root / f"venv{n}"
        made = subprocess.run([base, "-m", "venv", "--system-site-packages", str(venv)], capture_output=True, text=True, timeout=180, env=clean_env())
        if made.returncode != 0:
            reasons.append(f"{base}: python -m venv failed: {made.stderr.strip()[-300:]}")
            continue
        python = venv / "bin" / "python"
        if subprocess.run([str(python), "-c", CAN_BUILD], capture_output=True, timeout=60, env=clean_env()).returncode != 0:
            reasons.append(f"{base}: no offline build backend (setuptools >= 70.1, or setuptools with wheel)")
            continue
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--no-build-isolation", "--no-index", "--disable-pip-version-check", "-q", str(package)],
            capture_output=True,
            text=True,
            timeout=300,
            env=clean_env(),
            cwd=root,
        )
        assert installed.returncode == 0, f"pip install with {base} failed:\n{installed.stdout}\n{installed.stderr}"
        yield python
        return
    pytest.fail("no interpreter here can pip install the package offline: " + "; ".join(reasons) + " (apt-get install python3-venv python3-setuptools python3-wheel)")


def test_pip_install_registers_the_pytest11_entry_point(venv_python: Path, tmp_path: Path) -> None:
    probe = """
import json, ditto
from importlib import metadata
try:
    eps = metadata.entry_points(group="pytest11")
except TypeError:
    eps = metadata.entry_points().get("pytest11", [])
print(json.dumps({"file": ditto.__file__, "eps": {ep.name: ep.value for ep in eps}, "requires": metadata.requires("ditto-sdk")}))
"""
    result = subprocess.run([str(venv_python), "-c", probe], capture_output=True, text=True, timeout=60, env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["file"].startswith(str(venv_python.parent.parent)), "the package is imported from the venv"
    assert found["eps"].get("ditto") == "ditto.pytest_plugin"
    assert not found["requires"], "no runtime dependencies"


def test_the_installed_plugin_runs_a_sample_without_any_flag(venv_python: Path, tmp_path: Path, cli: Path, local_home: TestHome) -> None:
    if subprocess.run([str(venv_python), "-c", "import pytest"], capture_output=True, timeout=60, env=clean_env()).returncode != 0:
        pytest.skip(f"{venv_python} has no pytest (apt-get install python3-pytest): the entry point is checked above")
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_isolation.py").write_text((SAMPLES / "isolation_sample.py").read_text())
    ids_file = tmp_path / "ids.txt"
    label = f"installed-{uuid.uuid4().hex[:8]}"
    env = {
        **clean_env(),
        "DITTO_BIN": str(cli),
        "DITTO_HOME": str(local_home.dir),
        "DITTO_CONFIG": str(local_home.config_file),
        "DITTO_SAMPLE_IDS": str(ids_file),
        "DITTO_SAMPLE_PSQL": psql_path(),
    }

    traced = subprocess.run([str(venv_python), "-m", "pytest", "--trace-config", "--collect-only", "-q", "-p", "no:cacheprovider"], capture_output=True, text=True, timeout=120, env=env, cwd=project)
    assert "ditto/pytest_plugin.py" in traced.stdout, traced.stdout

    ran = subprocess.run([str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--ditto-label={label}"], capture_output=True, text=True, timeout=300, env=env, cwd=project)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "1 failed, 4 passed" in ran.stdout, ran.stdout
    ids = ids_file.read_text().split()
    copies = {c.id: c for c in Ditto(bin=str(cli), env=local_home.env()).list(all=True)}
    assert len(set(ids)) == 5 and all(copies[i].status == "destroyed" for i in ids)
    assert local_home.ls() == [] and local_home.servers() == []
