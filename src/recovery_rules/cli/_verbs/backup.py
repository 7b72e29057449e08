"""``recovery-rules backup``: a consistent copy of an SQLite journal others are writing, and the head to check it by."""

from __future__ import annotations

import shlex

import click

from recovery_rules import RecoveryRulesError, SQLiteJournal
from recovery_rules.cli import _console
from recovery_rules.cli._errors import CliInputError, ExitCode, about_argument
from recovery_rules.cli._journal_reader import open_journal, shown
from recovery_rules.cli._verbs import options

__all__ = ["command"]


@click.command("backup", short_help="Copy an SQLite journal consistently while it is in use.")
@click.argument("journal", metavar="JOURNAL")
@click.argument("target", metavar="TARGET")
@options.json
def command(*, journal: str, target: str, as_json: bool) -> int:
    """Copy the SQLite journal JOURNAL into the new file TARGET, consistently, while others write to it.

    SQLite's online backup copies one committed state of the whole journal,
    the events still in its write-ahead log included (copying the file itself
    while a writer has it open can miss those). TARGET must not exist: the
    copy is written beside it under a temporary name and named TARGET only
    when whole. Prints the copy's chain head: save it with the backup, and
    check the backup later with recovery-rules verify TARGET --expected-head
    HEAD. The journal is only read: one written by an earlier release is
    refused, not brought up to date (back it up with sqlite3 JOURNAL
    '.backup COPY' first). A PostgreSQL journal is backed up with pg_dump.
    The copy is readable by whom the journal is. Exit code 0, or 2 when the
    journal cannot be read or the copy cannot be written.
    """
    target = target.removeprefix("sqlite:")  # written as the journal's address may be
    if not target.strip():  # said of the journal's path by SQLite's backup
        with about_argument("target"):
            raise CliInputError(
                "the backup's file name is empty; give the new file to copy the journal to "
                "(recovery-rules backup JOURNAL copy.sqlite3)"
            )
    with about_argument("journal"):
        opened = open_journal(journal, read_only=True)  # a backup leaves the journal as it is
    with opened:
        if not isinstance(opened, SQLiteJournal):
            with about_argument("journal"):
                raise CliInputError(
                    f"{shown(journal)} is not an SQLite journal: back up a PostgreSQL journal with pg_dump "
                    "(pg_dump --schema=recovery_rules)"
                )
        try:
            head = opened.backup(target)
        except RecoveryRulesError as error:  # TARGET exists already, or cannot be written
            with about_argument("target"):
                raise CliInputError(str(error)) from None
    if as_json:
        _console.echo_json({"journal": shown(journal), "backup": target, "head": str(head)})
    else:
        _console.echo(f"journal {shown(journal)} copied to {target}: {_console.counted(head.count, 'event')}")
        _console.echo(f"  head {head}")
        # ready to paste: quoted for the shell, and never read as options (a name beginning with "-" is relative)
        named = f"./{target}" if target.startswith("-") else target
        verify = shlex.join(["recovery-rules", "verify", named, "--expected-head", str(head)])
        _console.echo(f"  (check it later: {verify})")
    return ExitCode.OK
