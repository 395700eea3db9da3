"""A test module as a user writes it: each test gets a copy of its own, the session shares one.

tests/test_plugin.py runs it in a pytest session of its own, locally and against a host; the
last test fails on purpose, and its copy must be destroyed all the same. Each copy's id goes to
the file DITTO_SAMPLE_IDS names, so the outer test can check every one is gone.
"""

import os
import subprocess

import pytest

PSQL = os.environ.get("DITTO_SAMPLE_PSQL", "psql")


def psql(dsn, sql):
    result = subprocess.run([PSQL, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def record(copy):
    with open(os.environ["DITTO_SAMPLE_IDS"], "a") as ids:
        ids.write(copy.id + "\n")


def test_a_creates_a_table(ditto_copy):
    record(ditto_copy)
    assert os.environ["DATABASE_URL"] == ditto_copy.connection_string
    assert os.environ["DITTO_COPY_ID"] == ditto_copy.id
    psql(ditto_copy.connection_string, "CREATE TABLE marker (id int); INSERT INTO marker VALUES (1)")
    assert psql(os.environ["DATABASE_URL"], "SELECT count(*) FROM marker") == "1"


def test_b_does_not_see_a_table(ditto_copy):
    record(ditto_copy)
    assert psql(ditto_copy.connection_string, "SELECT to_regclass('public.marker') IS NULL") == "t"


def test_c_session_copy_takes_a_table(ditto_session_copy):
    record(ditto_session_copy)
    psql(ditto_session_copy.connection_string, "CREATE TABLE shared (id int)")


def test_d_session_copy_is_shared(ditto_session_copy, ditto_copy):
    # The per-test copy is a different database, and DATABASE_URL is the per-test one meanwhile.
    record(ditto_copy)
    assert ditto_copy.id != ditto_session_copy.id
    assert os.environ["DATABASE_URL"] == ditto_copy.connection_string
    assert psql(ditto_session_copy.connection_string, "SELECT to_regclass('public.shared') IS NOT NULL") == "t"
    assert psql(ditto_copy.connection_string, "SELECT to_regclass('public.shared') IS NULL") == "t"


def test_e_fails_and_its_copy_still_goes(ditto_copy):
    record(ditto_copy)
    psql(ditto_copy.connection_string, "CREATE TABLE doomed (id int)")
    pytest.fail("failing on purpose: the fixture must destroy this copy anyway")
