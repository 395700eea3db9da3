"""What ``up()`` asks for, checked once here so both modes refuse bad input with the same error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple, Union

from .errors import BadInputError

Duration = Union[int, str]

_DURATION = re.compile(r"^(\d+)(s|m|h|d)?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The host refuses longer labels, run ids and job names (src/api/create-request.ts).
_MAX_TEXT = 256

#: Each CI service: the variable that says it runs there, and its run's and job's variables
#: (the same table as the CLI's src/support/ci-run.ts).
_CI_SERVICES: Tuple[Tuple[str, str, str], ...] = (
    ("GITHUB_ACTIONS", "GITHUB_RUN_ID", "GITHUB_JOB"),
    ("GITLAB_CI", "CI_PIPELINE_ID", "CI_JOB_NAME"),
    ("CIRCLECI", "CIRCLE_WORKFLOW_ID", "CIRCLE_JOB"),
    ("BUILDKITE", "BUILDKITE_BUILD_ID", "BUILDKITE_LABEL"),
    ("JENKINS_URL", "BUILD_TAG", "JOB_NAME"),
    ("TRAVIS", "TRAVIS_BUILD_ID", "TRAVIS_JOB_NAME"),
)


def parse_duration(value: Duration, what: str = "TTL") -> int:
    """``90s``, ``15m``, ``2h``, ``1d``, plain seconds, or an int of seconds, as whole seconds (as the CLI reads them)."""
    seconds: Optional[int] = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match:
            seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if seconds is None or seconds <= 0:
        raise BadInputError(f"bad {what} {value!r}", hint="use a positive whole number with an optional unit: 90s, 15m, 2h, 1d")
    return seconds


def _optional_text(value: Optional[str], name: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT or "\n" in value:
        raise BadInputError(f"{name} must be a non-empty line of at most {_MAX_TEXT} characters")
    return value


def ci_run(env: Mapping[str, str]) -> Tuple[Optional[str], Optional[str]]:
    """The CI run and job this process belongs to: DITTO_RUN_ID/DITTO_JOB_NAME, else the CI's own variables."""
    service = next((s for s in _CI_SERVICES if env.get(s[0])), None)

    def pick(own: str, theirs: Optional[str]) -> Optional[str]:
        return env.get(own) or (env.get(theirs) if theirs else None) or None

    return pick("DITTO_RUN_ID", service[1] if service else None), pick("DITTO_JOB_NAME", service[2] if service else None)


#: A copy's name, as ditto takes it (src/model/copy-name.ts): 1-63 letters, digits, ``.``, ``_``, ``-``.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def check_name(name: str) -> str:
    """``name`` if it is a copy name, else BadInputError (checked before anything is asked)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadInputError(
            f"name {name!r} is not a copy name",
            hint="a name is 1-63 letters, digits, dots, underscores and dashes, starting with a letter or digit (e.g. pr-123)",
        )
    return name


@dataclass(frozen=True)
class UpRequest:
    """A checked ``up()`` request. Unset fields take ditto's configured defaults."""

    ttl_seconds: Optional[int] = None
    label: Optional[str] = None
    name: Optional[str] = None
    dump: Optional[str] = None
    run_id: Optional[str] = None
    job_name: Optional[str] = None
    obfuscate: Optional[bool] = None

    @classmethod
    def build(
        cls,
        ttl: Optional[Duration] = None,
        label: Optional[str] = None,
        dump: Optional[str] = None,
        run_id: Optional[str] = None,
        job_name: Optional[str] = None,
        obfuscate: Optional[bool] = None,
        name: Optional[str] = None,
    ) -> "UpRequest":
        if obfuscate is not None and not isinstance(obfuscate, bool):
            raise BadInputError(f"obfuscate must be True, False or None, not {type(obfuscate).__name__}")
        if dump is not None and (not isinstance(dump, str) or not dump):
            raise BadInputError("dump must be a path, an http(s):// URL or an s3://bucket/key")
        return cls(
            ttl_seconds=None if ttl is None else parse_duration(ttl),
            label=_optional_text(label, "label"),
            name=None if name is None else check_name(name),
            dump=dump,
            run_id=_optional_text(run_id, "run_id"),
            job_name=_optional_text(job_name, "job_name"),
            obfuscate=obfuscate,
        )
