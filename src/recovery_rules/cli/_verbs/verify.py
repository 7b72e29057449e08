"""``recovery-rules verify``: check a journal's hash chain, and its sealed ledger heads with the ledger key."""

from __future__ import annotations

from typing import Any

import click

from recovery_rules import ChainHead, JournalIntegrityError, RecoveryRulesError, Verification
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument
from recovery_rules.cli._inputs import check_head_order, parse_chain_head, read_key_file
from recovery_rules.cli._journal_reader import open_journal, shown
from recovery_rules.cli._verbs import options

__all__ = ["command"]

_NOT_SEALED = (
    "the journal holds no key check, so there are no sealed heads to check; verify it without --ledger-key-file "
    "(a check never seals a journal). If it was sealed, its key check and seals were removed, which only "
    "tampering does: check it against a chain head saved while it was sealed (--expected-head)"
)


@click.command("verify", short_help="Check that a journal's events are intact, in place and chained.")
@click.argument("journal", metavar="JOURNAL")
@click.option(
    "--expected-head",
    metavar="COUNT:HASH",
    help="A chain head saved earlier: the journal must still hold its events unchanged (finds a cut-off tail).",
)
@click.option(
    "--resume-from",
    metavar="COUNT:HASH",
    help="A chain head saved after an earlier check: only the events after it are checked, chained to it.",
)
@click.option(
    "--ledger-key-file",
    metavar="FILE",
    help="The file holding the journal's ledger key as hexadecimal text: a sealed ledger's heads are checked too.",
)
@options.json
def command(
    *,
    journal: str,
    expected_head: str | None,
    resume_from: str | None,
    ledger_key_file: str | None,
    as_json: bool,
) -> int:
    """Check that every event in JOURNAL is intact, in its place and chained to the one before.

    JOURNAL is the case journal's SQLite file (cases.sqlite3, or
    sqlite:cases.sqlite3) or its PostgreSQL address (postgresql://user@host/db,
    with the postgres extra); it is never created, and its events and ledger
    heads are never written. Finds any event edited, removed,
    inserted or reordered, and prints the chain head to save: given back as
    --expected-head, a later check also finds a cut-off tail; as --resume-from,
    it checks only the events written since. With --ledger-key-file, a journal
    whose ledger is sealed has every ledger head checked too (its seal, and the
    grant it names), which finds a tail rewritten with its hashes computed
    again. Exit code 0 when the journal is intact, 1 when an event is bad (the
    first one is named), 2 when the journal or the key cannot be read.
    """
    expected = parse_chain_head(expected_head, option="--expected-head") if expected_head is not None else None
    resumed = parse_chain_head(resume_from, option="--resume-from") if resume_from is not None else None
    check_head_order(expected, resumed)
    key = read_key_file(ledger_key_file, option="--ledger-key-file") if ledger_key_file is not None else None
    with about_argument("journal"):
        opened, keyed = open_journal(journal), False  # looked at without the key first: a check never seals a journal
    if key is not None and opened.ledger_sealed:
        try:
            with_key = open_journal(journal, ledger_key=key)  # refused with another key: about --ledger-key-file
        except JournalIntegrityError:  # its heads are sealed but its key check is gone: the check without it says so
            pass
        except BaseException:  # another key, say: refused, and the journal opened without it closed first
            opened.close()
            raise
        else:
            opened.close()
            opened, keyed = with_key, True
    not_sealed = key is not None and not opened.ledger_sealed  # said once the chain is checked, if it is whole
    with opened:
        try:
            try:
                total = opened.head().count - (resumed.count if resumed is not None else 0)
            except JournalIntegrityError:  # the last event is damaged: the check below says where and how
                total = 0
            with _console.progress("verifying the journal", max(total, 0), unit="events") as advance:
                checked = opened.verify(expected_head=expected, resume_from=resumed, progress=advance)
        except RecoveryRulesError as error:
            raise CliInputError(str(error)) from None
        sealed = opened.ledger_sealed
    if not_sealed and checked.ok:
        raise CliInputError(f"--ledger-key-file: the ledger of {shown(journal)} is not sealed: {_NOT_SEALED}")
    heads_checked = sealed and keyed
    if as_json:
        _console.echo_json(_document(shown(journal), checked, sealed=sealed, heads_checked=heads_checked))
    else:
        _render(shown(journal), checked, resumed, sealed=sealed, heads_checked=heads_checked, key_given=key is not None)
    return ExitCode.OK if checked.ok else ExitCode.FAILED


def _document(address: str, checked: Verification, *, sealed: bool, heads_checked: bool) -> dict[str, Any]:
    return {
        "journal": address,
        **checked.model_dump(mode="json"),
        "head_text": str(checked.head),
        "ledger": {"sealed": sealed, "heads_checked": heads_checked},
    }


def _render(
    address: str,
    checked: Verification,
    resumed: ChainHead | None,
    *,
    sealed: bool,
    heads_checked: bool,
    key_given: bool,
) -> None:
    if checked.ok and resumed is not None and checked.count == resumed.count:
        what = f"no event after the saved head ({_console.counted(resumed.count, 'event')}), which is still there"
    elif checked.ok and resumed is not None:
        what = f"events {resumed.count + 1:,} to {checked.count:,} checked after the saved head, chain intact"
    else:
        what = f"{_console.counted(checked.count, 'event')}, chain intact"
    if checked.ok:
        _console.echo(f"journal {address}: {what}")
        _console.echo(f"  head {checked.head}")
        _console.echo("  (save it: --expected-head finds a cut-off tail later, --resume-from checks only what follows)")
    else:
        _console.echo(f"journal {address}: event {checked.first_bad:,} is bad: {checked.problem}")
        if checked.count > 1:
            before = f"the {checked.count:,} events before it are intact"
        else:
            before = "the event before it is intact" if checked.count else "no event before it"
        _console.echo(f"  {before}; head {checked.head}" if checked.count else f"  {before}")
    if heads_checked:
        _console.echo("  ledger sealed: every head's seal and the grant it names checked")
    elif sealed and key_given:  # opened with the key, it was refused: its key check is gone
        _console.echo("  ledger sealed, but it holds no key check: its heads cannot be checked")
    elif sealed:
        _console.echo("  ledger sealed: its heads not checked (give --ledger-key-file to check them)")
    else:
        _console.echo("  ledger not sealed")
