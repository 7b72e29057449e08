"""The service's settings: where the policy, the journal and the tokens are, read from the environment.

``recovery-rules serve`` writes its options into the environment (``RECOVERY_RULES_*``) and starts uvicorn with
:func:`recovery_rules.server.app_from_environment` as the app factory, so every worker process builds the same app
from the same settings.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from recovery_rules import InvalidInputError, Journal, Policy, PostgresJournal, Problem, SQLiteJournal, presets
from recovery_rules.files import read_ledger_key

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ENVIRONMENT",
    "MAX_BODY_BYTES",
    "MIN_SESSION_KEY",
    "Settings",
    "load_ledger_key",
    "load_policy",
    "load_session_key",
    "open_journal",
]

DEFAULT_MAX_BODY_BYTES: Final = 5_000_000
"""The largest request body the API reads by default: a policy to check (``POST /v1/policy/check``), the
largest body any route takes, is at most this many bytes (as the library reads a policy file); a complaint or a
step is a few hundred."""
MAX_BODY_BYTES: Final = 1_000_000_000
"""The largest request body limit ``max_body_bytes`` may be set to: a gigabyte."""
MIN_SESSION_KEY: Final = 32
"""The fewest bytes a session key has."""
SESSION_KEY: Final = "RECOVERY_RULES_SESSION_KEY"
"""Where ``recovery-rules serve`` hands its workers the session key it made for this run (hexadecimal), when
no ``session_key_file`` is set; never part of :class:`Settings`, so that no settings' text shows it."""

ENVIRONMENT: Final = {
    "policy": "RECOVERY_RULES_POLICY",
    "journal": "RECOVERY_RULES_JOURNAL",
    "tokens": "RECOVERY_RULES_TOKENS",
    "watch_policy": "RECOVERY_RULES_WATCH_POLICY",
    "decision_log": "RECOVERY_RULES_DECISION_LOG",
    "allow_origins": "RECOVERY_RULES_ALLOW_ORIGINS",
    "ledger_key_file": "RECOVERY_RULES_LEDGER_KEY_FILE",
    "session_key_file": "RECOVERY_RULES_SESSION_KEY_FILE",
    "session_hours": "RECOVERY_RULES_SESSION_HOURS",
    "max_body_bytes": "RECOVERY_RULES_MAX_BODY_BYTES",
}
"""The environment variable of each setting."""


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Where the service finds what it serves.

    ``policy`` is a policy file (TOML, JSON, YAML) or a preset's name (``ritz-carlton``); ``journal`` is
    ``sqlite:PATH`` or a PostgreSQL URL (``postgresql://app@db/hotel``); ``tokens`` the token file (hashes of
    the bearer tokens, each with its employee and level). ``watch_policy`` reloads the policy when its file
    changes (SIGHUP always does). ``decision_log`` is where the decision log's JSON lines go: a file, ``-``
    for standard output, or empty for none. ``allow_origins`` are the web origins
    (``https://desk.example.com``) whose pages may call the API from a browser (CORS); none by default.
    ``max_body_bytes`` is the largest request body the API reads (a policy to check is at most 5,000,000 bytes,
    the default); a larger one is refused with a 413 before anything reads it.
    """

    policy: str
    journal: str
    tokens: str
    watch_policy: bool = False
    decision_log: str = "-"
    allow_origins: tuple[str, ...] = ()
    ledger_key_file: str = ""
    session_key_file: str = ""
    session_hours: int = 12
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (``os.environ`` by default); every missing one is named at once.

        ``RECOVERY_RULES_WATCH_POLICY`` turns watching on when it is ``1``, ``true`` or ``yes`` (lower case, as
        :meth:`to_environment` writes ``1``); any other value, or none, leaves it off.
        """
        environ = os.environ if environ is None else environ
        missing = [
            Problem(variable, "is not set")
            for field, variable in ENVIRONMENT.items()
            if field in ("policy", "journal", "tokens") and not environ.get(variable)
        ]
        if missing:
            raise InvalidInputError("service settings", missing)
        return cls(
            policy=environ[ENVIRONMENT["policy"]],
            journal=environ[ENVIRONMENT["journal"]],
            tokens=environ[ENVIRONMENT["tokens"]],
            watch_policy=environ.get(ENVIRONMENT["watch_policy"], "") in ("1", "true", "yes"),
            decision_log=environ.get(ENVIRONMENT["decision_log"], "-"),
            allow_origins=tuple(
                origin for origin in environ.get(ENVIRONMENT["allow_origins"], "").split(" ") if origin
            ),
            ledger_key_file=environ.get(ENVIRONMENT["ledger_key_file"], ""),
            session_key_file=environ.get(ENVIRONMENT["session_key_file"], ""),
            session_hours=_hours(environ.get(ENVIRONMENT["session_hours"], "") or "12"),
            max_body_bytes=_bytes(environ.get(ENVIRONMENT["max_body_bytes"], "") or str(DEFAULT_MAX_BODY_BYTES)),
        )

    def to_environment(self) -> dict[str, str]:
        """The variables that :meth:`from_environment` reads back into these settings."""
        return {
            ENVIRONMENT["policy"]: self.policy,
            ENVIRONMENT["journal"]: self.journal,
            ENVIRONMENT["tokens"]: self.tokens,
            ENVIRONMENT["watch_policy"]: "1" if self.watch_policy else "0",
            ENVIRONMENT["decision_log"]: self.decision_log,
            ENVIRONMENT["allow_origins"]: " ".join(self.allow_origins),
            ENVIRONMENT["ledger_key_file"]: self.ledger_key_file,
            ENVIRONMENT["session_key_file"]: self.session_key_file,
            ENVIRONMENT["session_hours"]: str(self.session_hours),
            ENVIRONMENT["max_body_bytes"]: str(self.max_body_bytes),
        }


MAX_SESSION_HOURS: Final = 24 * 30
"""The longest a console session may be set to last: 30 days."""


def _hours(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_SESSION_HOURS:
        raise InvalidInputError.at(
            "service settings",
            ENVIRONMENT["session_hours"],
            f"must be a whole number of hours from 1 to {MAX_SESSION_HOURS}, not {text[:20]!r}",
        )
    return int(text)


def _bytes(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not 1 <= int(text) <= MAX_BODY_BYTES:
        raise InvalidInputError.at(
            "service settings",
            ENVIRONMENT["max_body_bytes"],
            f"must be a whole number of bytes from 1 to {MAX_BODY_BYTES:,} ({DEFAULT_MAX_BODY_BYTES:,} by default), "
            f"not {text[:20]!r}",
        )
    return int(text)


def is_preset(source: str) -> bool:
    """Whether ``source`` names a preset (``ritz-carlton``, ``ritz_carlton``) rather than a file: a name with no
    extension that is not a file (an unknown one is refused with the presets' names)."""
    path = Path(source)
    return not path.suffix and not path.exists()


def policy_file(source: str) -> Path:
    """The file a policy ``source`` is read from: the preset's own file for a preset's name."""
    return presets.path(source) if is_preset(source) else Path(source)


def load_policy(source: str) -> Policy:
    """The policy ``source`` names: a preset (``ritz-carlton``) or a policy file. Raises ``PolicyError``."""
    return presets.load(source) if is_preset(source) else Policy.from_file(source)


def open_journal(address: str, *, ledger_key: bytes | None = None) -> Journal:
    """The journal ``address`` names: ``sqlite:PATH`` or ``postgresql://...`` (``postgres://`` too), opened with
    ``ledger_key`` if given (a journal whose ledger is sealed needs it to record grants)."""
    if address.startswith("sqlite:"):
        path = address.removeprefix("sqlite:").removeprefix("//")
        if not path:
            raise InvalidInputError.at(
                "service settings", "journal", "sqlite: needs a path, as in sqlite:cases.sqlite3"
            )
        return SQLiteJournal(path, ledger_key=ledger_key)
    if address.startswith(("postgresql://", "postgres://")):
        return PostgresJournal(address, ledger_key=ledger_key)
    raise InvalidInputError.at(
        "service settings",
        "journal",
        "must be sqlite:PATH (sqlite:cases.sqlite3) or a PostgreSQL URL (postgresql://app@db.example/hotel)",
    )


def load_session_key(path: str | os.PathLike[str]) -> bytes:
    """The console's session key in file ``path``, written as a ledger key is (hexadecimal text, 64 digits or
    more: ``secrets.token_hex(32)``). Raises :class:`~recovery_rules.InvalidInputError` located at the
    ``session_key_file`` setting, saying what is wrong; the key never appears in a message."""
    try:
        return read_ledger_key(path, what="session key")
    except InvalidInputError as error:
        raise InvalidInputError.at(
            "service settings", "session_key_file", f"{path}: {error.problems[0].message}"
        ) from None


def load_ledger_key(path: str | os.PathLike[str]) -> bytes:
    """The ledger key in file ``path``: hexadecimal text (``secrets.token_hex(32)``, 64 digits or more), spaces
    and line ends around it ignored (:func:`recovery_rules.files.read_ledger_key`). Raises
    :class:`~recovery_rules.InvalidInputError` located at the ``ledger_key_file`` setting, saying what is wrong;
    the key itself never appears in a message. (The journal refuses a key shorter than 32 bytes when it opens.)"""
    try:
        return read_ledger_key(path)
    except InvalidInputError as error:
        raise InvalidInputError.at(
            "service settings", "ledger_key_file", f"{path}: {error.problems[0].message}"
        ) from None
