"""``recovery-rules seal``: seal a journal's ledger with a key, or seal it again with a new one."""

from __future__ import annotations

import click

from recovery_rules import ChainHead, Journal, JournalIntegrityError, RecoveryRulesError
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument
from recovery_rules.cli._inputs import check_head_order, parse_chain_head, read_key_file
from recovery_rules.cli._journal_reader import open_journal, open_sealed_journal, shown
from recovery_rules.cli._verbs import options

__all__ = ["command"]


@click.command("seal", short_help="Seal a journal's ledger with a key, or seal it again with a new one.")
@click.argument("journal", metavar="JOURNAL")
@click.option(
    "--ledger-key-file",
    metavar="FILE",
    required=True,
    help="The file holding the ledger key as hexadecimal text (python -c 'import secrets; "
    "print(secrets.token_hex(32))'): the key to seal with, or, with --new-key-file, the journal's key now.",
)
@click.option(
    "--new-key-file",
    metavar="FILE",
    help="Seal the ledger again with the key in this file instead (a journal sealed with --ledger-key-file).",
)
@click.option(
    "--expected-head",
    metavar="COUNT:HASH",
    help="A chain head saved earlier: the journal must still hold its events unchanged before it is sealed.",
)
@click.option(
    "--resume-from",
    metavar="COUNT:HASH",
    help="A chain head saved after an earlier check (verify's): only the events after it are checked first.",
)
@options.json
def command(
    *,
    journal: str,
    ledger_key_file: str,
    new_key_file: str | None,
    expected_head: str | None,
    resume_from: str | None,
    as_json: bool,
) -> int:
    """Seal the ledger of JOURNAL with the key in --ledger-key-file, or seal it again with --new-key-file.

    A journal that already records grants is sealed once, here (a new one is
    sealed by serve --ledger-key-file when it creates it): the whole chain is
    verified first (against --expected-head, if given; only after
    --resume-from, a head an earlier verify saved), then each customer's and
    incident's latest grant is checked as the ledger reads it and its head
    sealed, in one transaction. With --new-key-file, every head's seal is
    checked with the journal's key and sealed again with the new one. Stop the
    processes that write the journal first, and start them again with the key
    (serve --ledger-key-file). JOURNAL is an SQLite file or a PostgreSQL
    address, as for verify; it must be writable. Exit code 0 when the ledger is
    sealed (also when it already was, with this key), 1 when the journal fails
    its check (nothing is written), 2 for bad input or another key than the
    journal's.
    """
    key = read_key_file(ledger_key_file, option="--ledger-key-file")
    new_key = read_key_file(new_key_file, option="--new-key-file") if new_key_file is not None else None
    head = parse_chain_head(expected_head, option="--expected-head") if expected_head is not None else None
    resumed = parse_chain_head(resume_from, option="--resume-from") if resume_from is not None else None
    check_head_order(head, resumed)
    integrity: JournalIntegrityError | None = None
    count = 0
    if new_key is None:
        with about_argument("journal"):
            opened = open_journal(journal)
    else:
        try:
            opened = open_sealed_journal(
                journal,
                key,
                not_sealed="seal it first: recovery-rules seal JOURNAL --ledger-key-file FILE",
                argument="journal",
            )
        except JournalIntegrityError as error:  # its heads are sealed but its key check is gone
            opened, integrity = open_journal(journal), error
    with opened:
        already = opened.ledger_sealed
        if integrity is None:
            integrity, count = _sealed(opened, key, new_key, head, resumed)
    if as_json:  # the same keys whatever happened
        _console.echo_json(
            {
                "journal": shown(journal),
                "sealed": already if integrity is not None else True,
                "already_sealed": already and new_key is None and integrity is None,
                "rotated": new_key is not None and integrity is None,
                "heads": count,
                "first_bad": None if integrity is None else integrity.seq,
                "problem": None if integrity is None else integrity.problem,
            }
        )
        return ExitCode.OK if integrity is None else ExitCode.FAILED
    if integrity is not None:
        outcome = "key not changed" if new_key is not None else "not sealed"
        _console.echo(
            f"journal {shown(journal)}: {outcome}, nothing written: event {integrity.seq} is bad: " + integrity.problem
        )
        return ExitCode.FAILED
    what = "sealed again with the new key" if new_key is not None else "sealed"
    if already and new_key is None:
        _console.echo(f"journal {shown(journal)}: its ledger was sealed with this key already; nothing to do")
    else:
        _console.echo(f"journal {shown(journal)}: ledger {what}, {count:,} heads")
    return ExitCode.OK


def _sealed(
    journal: Journal, key: bytes, new_key: bytes | None, head: ChainHead | None, resumed: ChainHead | None
) -> tuple[JournalIntegrityError | None, int]:
    """Seal ``journal`` with ``key`` (or again with ``new_key``): the finding that stopped it, or how many heads."""
    try:
        if new_key is None:
            return None, journal.seal_ledger(key, expected_head=head, resume_from=resumed)
        return None, journal.rotate_ledger_key(new_key, expected_head=head, resume_from=resumed)
    except JournalIntegrityError as error:  # the one error that is a finding: nothing written, key kept
        return error, 0
    except RecoveryRulesError as error:
        raise CliInputError(str(error)) from None
