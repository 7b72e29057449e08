"""Boundaries of the journal's integrity, the seal, erasure, the service's checks and the wording's escaping that
the rest of the suite did not guard: each test fails with a small, realistic bug every other test let pass (hand
mutation testing, second round: 20 of 56 such bugs survived the suite, 2026-12-06). Each docstring says what
goes wrong without the check it tests.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ._journal_backends import BACKENDS, SQLiteHarness
from ._journal_events import A, C, add, fill

EVENTS = 9


# -- verify -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seq", range(1, EVENTS + 1))
def test_an_event_whose_customer_id_column_was_edited_fails_verify_on_sqlite(tmp_path: Path, seq: int) -> None:
    """The stored customer_id (the index column a guest's events are found by) must be the number's, for every
    event: not only a case's first event or a grant, which the bookkeeping checks would catch anyway."""
    harness = SQLiteHarness(tmp_path)
    journal = harness.journal()
    fill(journal, EVENTS)
    assert journal.verify().ok
    with sqlite3.connect(harness.path, isolation_level=None) as connection:
        connection.execute("UPDATE events SET customer_id = '99999' WHERE seq = ?", (seq,))
    connection.close()
    result = journal.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, seq, "its customer index does not match the event")
    harness.close()


# -- verify against a saved head --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(set(BACKENDS) - {"postgres"}))
def test_one_event_cut_off_the_end_is_reported_as_a_cut_tail_with_a_saved_head(tmp_path: Path, name: str) -> None:
    harness = BACKENDS[name](tmp_path)
    journal = harness.journal()
    fill(journal, EVENTS)
    head = journal.head()
    harness.delete(EVENTS)
    harness.hide_cut(EVENTS - 1)
    assert journal.verify().ok  # the chain and the rewritten bookkeeping alone cannot tell
    result = journal.verify(expected_head=head)
    assert (result.ok, result.first_bad, result.count) == (False, EVENTS, EVENTS - 1)
    assert result.problem == (
        f"the journal ends after {EVENTS - 1} events but the saved head says {EVENTS}: its tail was cut off"
    )
    harness.close()


# -- verify against a saved head --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(set(BACKENDS) - {"postgres"}))
def test_a_saved_head_naming_the_last_event_says_the_one_before_it_was_rehashed(tmp_path: Path, name: str) -> None:
    """The last event is not linked to the re-hashed one before it: the chain alone cannot say which of the two
    was changed, but a saved head naming the last event vouches for it, so the one before is the bad one."""
    harness = BACKENDS[name](tmp_path)
    journal = harness.journal()
    fill(journal, EVENTS)
    head = journal.head()
    harness.edit(EVENTS - 1, "data", '{"notes":"rewritten"}', rehashed=True)
    result = journal.verify(expected_head=head)
    assert (result.ok, result.first_bad, result.count) == (False, EVENTS - 1, EVENTS - 2)
    assert "re-hashed" in (result.problem or "")
    harness.close()


# -- verify: the ledger's index columns -------------------------------------------------------------------------------
def test_a_grants_ledger_time_column_edited_fails_verify_on_sqlite(tmp_path: Path) -> None:
    harness = SQLiteHarness(tmp_path)
    journal = harness.journal()
    fill(journal, EVENTS)  # grants at 4 and 8
    with sqlite3.connect(harness.path, isolation_level=None) as connection:
        connection.execute("UPDATE events SET ledger_at = '2026-11-23T10:00:00.000000Z' WHERE seq = 4")
    connection.close()
    result = journal.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, 4, "its ledger time index does not match the event")
    harness.close()


def test_an_earlier_grants_incident_column_edited_fails_verify_on_sqlite(tmp_path: Path) -> None:
    """Not the incident's latest grant (whose ledger head would give it away): an earlier one."""
    harness = SQLiteHarness(tmp_path)
    journal = harness.journal()
    for minutes in range(3):
        add(journal, A, minutes=minutes, grant="10.00")  # three grants of incident A
    add(journal, C, minutes=5, grant="10.00")
    with sqlite3.connect(harness.path, isolation_level=None) as connection:
        connection.execute("UPDATE events SET incident = ? WHERE seq = 2", (str(C),))
    connection.close()
    result = journal.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, 2, "its incident index does not match the event")
    harness.close()


# -- the key's length -------------------------------------------------------------------------------------------------
def test_a_ledger_key_one_byte_short_of_32_is_refused(tmp_path: Path) -> None:
    from recovery_rules import InvalidInputError, SQLiteJournal  # noqa: PLC0415

    with pytest.raises(InvalidInputError, match="at least 32 bytes"):
        SQLiteJournal(tmp_path / "j.sqlite3", ledger_key=b"k" * 31)
    with SQLiteJournal(tmp_path / "j.sqlite3", ledger_key=b"k" * 32):
        pass


# -- the fast body equals the canonical one ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(set(BACKENDS) - {"postgres"}))
@pytest.mark.parametrize("key", ["client\\key-1", "C:\\desk\\7"])
def test_an_event_whose_key_json_escapes_is_hashed_in_its_canonical_form(tmp_path: Path, name: str, key: str) -> None:
    import hashlib  # noqa: PLC0415

    from recovery_rules._journal import canonical_json  # noqa: PLC0415

    from ._journal_events import draft  # noqa: PLC0415

    harness = BACKENDS[name](tmp_path)
    journal = harness.journal()
    try:
        event = journal.append(A, draft(), expected_version=0, key=key, request={"n": "1"})
    except Exception as error:  # a key the journal refuses is no case for this test
        pytest.skip(f"key refused: {error}")
    assert event.hash == hashlib.sha256(canonical_json(event.body())).hexdigest()
    assert journal.verify().ok
    harness.close()


# -- what is personal -------------------------------------------------------------------------------------------------
def test_only_a_top_level_reason_is_personal_not_a_resolutions_reason() -> None:
    """A manager's reason for a denial (``data.reason``) is the customer's business and is erased; a decision's
    ``resolution.reason`` is the engine's own wording and stays readable after an erasure."""
    import secrets  # noqa: PLC0415

    from recovery_rules._journal._privacy import is_personal, seal_data  # noqa: PLC0415

    assert is_personal(("reason",))
    assert not is_personal(("resolution", "reason"))
    assert not is_personal(("alternatives", "*", "reason"))
    sealed = seal_data(
        {"reason": "we are fully booked", "resolution": {"reason": "beyond authority"}}, "k1", secrets.token_bytes(32)
    )
    assert sealed is not None
    assert sealed["resolution"] == {"reason": "beyond authority"}
    assert sealed["reason"] != "we are fully booked"


# -- durations --------------------------------------------------------------------------------------------------------
def test_the_longest_duration_is_accepted_and_one_second_more_is_not() -> None:
    import datetime as dt  # noqa: PLC0415

    from recovery_rules import InvalidInputError  # noqa: PLC0415
    from recovery_rules._values._time import parse_duration  # noqa: PLC0415

    assert parse_duration("3660d") == dt.timedelta(days=3660)
    assert parse_duration(dt.timedelta(days=3660)) == dt.timedelta(days=3660)
    with pytest.raises(InvalidInputError, match="at most"):
        parse_duration(dt.timedelta(days=3660, seconds=1))


# -- the token's hash compared whole ----------------------------------------------------------------------------------
def test_a_token_hash_equal_only_in_its_first_digits_names_nobody() -> None:
    from recovery_rules.server._auth import Employee, Tokens, hash_token, mint_token  # noqa: PLC0415

    token, digest = mint_token()
    tokens = Tokens({digest: Employee("e-1", "manager")})
    assert tokens.employee(token) == Employee("e-1", "manager")
    assert tokens.holder(digest) == Employee("e-1", "manager")
    for keep in (8, 16, 32, 63):
        other = digest[:keep] + ("0" if digest[keep] != "0" else "1") + digest[keep + 1 :]
        assert tokens.holder(other) is None, keep
    assert tokens.employee(token + "x") is None
    assert hash_token(token + "x") != digest


# -- what a session cookie must be ------------------------------------------------------------------------------------
def _console_with(level: str) -> tuple[object, bytes, str]:
    import secrets  # noqa: PLC0415

    from fastapi.testclient import TestClient  # noqa: PLC0415

    from recovery_rules import MemoryJournal, presets  # noqa: PLC0415
    from recovery_rules.server import Tokens, create_app, mint_token  # noqa: PLC0415

    from ._server import NOW  # noqa: PLC0415

    _, digest = mint_token()
    key = secrets.token_bytes(32)
    app = create_app(
        presets.ritz_carlton(),
        MemoryJournal(),
        Tokens.from_entries([{"sha256": digest, "employee": "e-9", "level": level}]),
        clock=lambda: NOW,
        session_key=key,
    )
    return TestClient(app, follow_redirects=False), key, digest


def test_a_signed_session_of_a_level_the_policy_lacks_is_sent_to_sign_in_not_a_500() -> None:
    """A session signed before a reload removed its level (here: a level the policy never had) is no session."""
    import datetime as dt  # noqa: PLC0415

    from recovery_rules.server._console import COOKIE, session_cookie  # noqa: PLC0415

    from ._server import NOW  # noqa: PLC0415

    client, key, digest = _console_with("owner")
    client.cookies.set(COOKIE, session_cookie(key, digest, NOW + dt.timedelta(hours=1)))  # type: ignore[attr-defined]
    response = client.get("/console")  # type: ignore[attr-defined]
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in")


def test_a_session_cookie_whose_signature_differs_only_in_its_last_digits_is_refused() -> None:
    import datetime as dt  # noqa: PLC0415

    from recovery_rules.server._console import COOKIE, session_cookie  # noqa: PLC0415

    from ._server import NOW  # noqa: PLC0415

    client, key, digest = _console_with("manager")
    cookie = session_cookie(key, digest, NOW + dt.timedelta(hours=1))
    client.cookies.set(COOKIE, cookie)  # type: ignore[attr-defined]
    assert client.get("/console").status_code == 200  # type: ignore[attr-defined]
    forged = cookie[:-1] + ("0" if cookie[-1] != "0" else "1")
    client.cookies.set(COOKIE, forged)  # type: ignore[attr-defined]
    response = client.get("/console")  # type: ignore[attr-defined]
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in")


# -- a link's address in HTML -----------------------------------------------------------------------------------------
def test_a_links_address_cannot_leave_its_href_attribute_in_html() -> None:
    """A policy's Plan B ``url`` may hold any non-space character (``_URL`` in _policy/_parts.py), quotes too."""
    from recovery_rules._wording._document import Link, Paragraph, write  # noqa: PLC0415

    url = 'https://stores.example/"onmouseover="alert(1)'
    out = write([Paragraph(("Visit ", Link(url)))], "html")
    assert '"onmouseover' not in out
    assert out == (
        '<p>Visit <a href="https://stores.example/&quot;onmouseover=&quot;alert(1)">'
        "https://stores.example/&quot;onmouseover=&quot;alert(1)</a></p>"
    )


# -- verify reads every row, past its first batch of 5000 -------------------------------------------------------------
@pytest.mark.slow
def test_verify_reads_past_a_full_batch_of_rows_on_sqlite(tmp_path: Path) -> None:
    from recovery_rules import BulkEntry, ComplaintNumber  # noqa: PLC0415
    from recovery_rules._journal._columns import _ROW_BATCH  # noqa: PLC0415

    from ._journal_events import draft  # noqa: PLC0415

    harness = SQLiteHarness(tmp_path)
    journal = harness.journal()
    total = _ROW_BATCH + 1
    entries = [
        BulkEntry(ComplaintNumber.parse(f"20261123-{i // 10 + 1}"), draft(minutes=i % 600), key=f"k{i}")
        for i in range(total)
    ]
    head = journal.append_many(entries, per_transaction=total)
    assert head.count == total
    result = journal.verify(expected_head=head)
    assert (result.ok, result.count) == (True, total)
    assert journal.verify().count == total
    harness.close()


# -- a value at the start of a Markdown line --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1. refund everything", "12) a free night", "2026. a good year"])
def test_a_value_starting_a_markdown_line_with_a_number_and_a_dot_is_no_ordered_list(value: str) -> None:
    from markdown_it import MarkdownIt  # noqa: PLC0415

    from recovery_rules._wording._document import Item, ItemList, Paragraph, write  # noqa: PLC0415

    for blocks in ([Paragraph((value,))], [ItemList((Item(("Option",), ((value,),)),), numbered=False)]):
        out = write(blocks, "markdown")
        rendered = MarkdownIt("commonmark").render(out)
        assert "<ol" not in rendered, (out, rendered)
        assert value.split(" ", 1)[1] in rendered


# -- a refusal no token would be allowed is a 409, not a 403 ----------------------------------------------------------
@pytest.mark.parametrize("step", ["accept_offer", "accept_alternative", "accept_final_offer"])
def test_a_grant_the_recorded_offerers_authority_no_longer_covers_is_a_409_not_a_403(step: str) -> None:
    """``accept_offer`` re-decides the counter-offer at the offerer's level when the customer accepts it; when the
    ledger moved on since, it escalates (``needed`` is set). No token's level changes that: a 409 grant-refused."""
    from recovery_rules import AuthorityError  # noqa: PLC0415
    from recovery_rules.server._api import _refused  # noqa: PLC0415

    error = AuthorityError(
        step, "offer_delivered", ("decline_offer",), level="manager", needed="director", detail="over the cap now"
    )
    problem = _refused(error)
    assert problem is not error
    assert getattr(problem, "kind", None) == "grant-refused"
