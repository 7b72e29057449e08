"""Several workers share one journal: the ledger read inside each step's transaction keeps every limit and cap
across them (two apps here stand for two worker processes: each opens the journal for itself)."""

from __future__ import annotations

from pathlib import Path

from recovery_rules.server import open_journal

from . import _postgres
from ._server import SEED_STEPS, complaint, serve, walk


def _two_workers_keep_the_limit(address: str) -> None:
    first, second = serve(journal=open_journal(address)), serve(journal=open_journal(address))
    try:
        number = first.post("/v1/cases", json={"complaint": complaint("1500.00")}).json()["complaint_number"]
        assert walk(first, number, SEED_STEPS[:4]).json()["case"]["state"] == "approved"
        body = {"complaint": complaint("1500.00", category="noise"), "incident": number}
        follow_up = second.post("/v1/cases", json=body).json()["complaint_number"]
        decided = walk(second, follow_up, SEED_STEPS[:4]).json()["case"]
        assert decided["decision"]["granted_before"] == {"amount": "1500.00", "currency": "USD"}
        assert decided["state"] == "beyond_authority"
        assert second.get(f"/v1/cases/{number}").json()["case"]["state"] == "approved"  # one journal
    finally:
        first.journal.close()
        second.journal.close()


def test_two_workers_on_one_sqlite_journal_keep_the_limit(tmp_path: Path) -> None:
    _two_workers_keep_the_limit(f"sqlite:{tmp_path / 'cases.sqlite3'}")


def test_two_workers_on_one_postgresql_journal_keep_the_limit(postgres_database: str) -> None:
    _two_workers_keep_the_limit(_postgres.url(postgres_database))
