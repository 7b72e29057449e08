"""The PostgreSQL test server itself (``tests/_postgres.py``): the tests that need it never pass silently without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import _postgres


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A session with no server given and no PostgreSQL programs installed."""
    pytest.importorskip("psycopg", reason="the postgres extra is not installed (the dev extra includes it)")
    monkeypatch.delenv(_postgres.DSN_VARIABLE, raising=False)
    monkeypatch.setenv(_postgres.SHARE_VARIABLE, str(tmp_path))
    monkeypatch.setattr(_postgres, "binaries", lambda: None)


def test_without_a_server_the_tests_are_skipped_saying_how_to_get_one(
    no_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("RECOVERY_RULES_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql") as caught:
        _postgres.dsn()
    assert _postgres.DSN_VARIABLE in str(caught.value)


@pytest.mark.parametrize(("variable", "value"), [("CI", "true"), ("RECOVERY_RULES_REQUIRE_POSTGRES", "1")])
def test_in_ci_a_missing_server_is_a_failure(
    no_server: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(variable, value)
    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL server for the tests"):
        _postgres.dsn()


def test_a_given_server_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is not installed (the dev extra includes it)")
    monkeypatch.setenv(_postgres.DSN_VARIABLE, "host=db.example dbname=hotel")
    assert _postgres.dsn() == "host=db.example dbname=hotel"


def test_the_session_server_is_started_once_and_shared(postgres_dsn: str) -> None:
    assert _postgres.dsn() == postgres_dsn  # a second test (or worker) gets the same server
