"""The parsing the other tests cannot make ditto produce on demand: durations, error lines, odd answers."""

from __future__ import annotations

import pytest

from ditto import BadInputError, Copy, DittoError, InterruptedCopyError, NotFoundError, QuotaError, RemoteError, parse_duration
from ditto.errors import ERROR_CODES, error_for
from ditto.local import parse_failure
from ditto.models import redact
from ditto.remote import _failure
from ditto.request import ci_run


@pytest.mark.parametrize(("text", "seconds"), [(90, 90), ("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (" 5m ", 300)])
def test_durations_read_as_the_cli_reads_them(text: object, seconds: int) -> None:
    assert parse_duration(text) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [0, -1, "0", "", "1.5h", "5 minutes", "1w", True, None, 2.5])
def test_bad_durations_are_bad_input(text: object) -> None:
    with pytest.raises(BadInputError, match="bad TTL"):
        parse_duration(text)  # type: ignore[arg-type]


def test_a_cli_error_line_splits_into_message_and_hint() -> None:
    err = parse_failure(4, "hint: something earlier\nditto: no copy with id 'x'; run `ditto ls --all` to see copies\n", "down")
    assert isinstance(err, NotFoundError)
    assert (err.message, err.hint, err.status, err.exit_code) == ("no copy with id 'x'", "run `ditto ls --all` to see copies", 404, 4)


def test_a_cli_error_without_its_line_still_says_what_happened() -> None:
    err = parse_failure(70, "Segmentation fault\n", "up")
    assert err.code == "PROVISION_FAILED" and "exited with code 70: Segmentation fault" in err.message
    assert parse_failure(1, "", "up").code == "INTERNAL"
    assert isinstance(parse_failure(-15, "", "up"), InterruptedCopyError)


def test_every_code_has_its_class_and_numbers() -> None:
    for code, (exit_code, status) in ERROR_CODES.items():
        err = error_for(code, "m")
        assert (err.code, err.exit_code, err.status) == (code, exit_code, status)
        assert type(err) is not DittoError, f"{code} has a class of its own"
    newer = error_for("SOMETHING_NEW", "m")
    assert type(newer) is DittoError and newer.code == "SOMETHING_NEW"


def test_host_answers_that_are_not_dittos() -> None:
    proxy = _failure(502, "Bad Gateway", "<html>nginx</html>", None)
    assert isinstance(proxy, RemoteError) and proxy.message == "the host answered 502 Bad Gateway"
    quota = _failure(429, "Too Many Requests", '{"error": "too many copies\\nsecond line", "code": "QUOTA"}', "30")
    assert isinstance(quota, QuotaError) and quota.retry_after_seconds == 30 and quota.message == "too many copies"
    assert _failure(404, "Not Found", "", None).code == "NOT_FOUND"


def test_a_copy_from_the_wire_keeps_unknown_fields_and_hides_its_password() -> None:
    wire = {
        "id": "abc123",
        "status": "ready",
        "port": 30001,
        "connection_string": "postgresql://postgres:s3cret@127.0.0.1:30001/postgres?sslmode=disable",
        "ttl_seconds": 600,
        "created_at": "2026-01-02T03:04:05.678Z",
        "something_new": 1,
        "notices": ["no dump"],
    }
    copy = Copy.from_wire(wire)
    assert copy.created_at is not None and copy.created_at.year == 2026 and copy.created_at.utcoffset() is not None
    assert copy.raw["something_new"] == 1 and copy.notices == ["no dump"]
    assert "s3cret" not in repr(copy) and copy.dsn == wire["connection_string"]
    assert redact("mysql://root:p%40ss@127.0.0.1:1/db") == "mysql://root:***@127.0.0.1:1/db"
    with pytest.raises(RemoteError):
        Copy.from_wire({"status": "ready"})


def test_the_ci_run_comes_from_ditto_variables_then_the_ci() -> None:
    assert ci_run({}) == (None, None)
    assert ci_run({"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "9", "GITHUB_JOB": "test"}) == ("9", "test")
    assert ci_run({"GITLAB_CI": "true", "CI_PIPELINE_ID": "7", "CI_JOB_NAME": "j", "DITTO_RUN_ID": "mine"}) == ("mine", "j")
    assert ci_run({"GITHUB_RUN_ID": "9"}) == (None, None), "a CI's variables count only inside that CI"
