"""Sealed ledger heads: a ledger that holds against whoever can write the database but does not know the host's key.

Without a key, the ledger reads a guest's (and an incident's) latest grant event through the heads table and
checks the event row against its stored SHA-256 hash before counting from it. That refuses any plain edit; but a
hash needs no secret, so someone who rewrites a grant row *and* recomputes its hash is found only by
:meth:`Journal.verify` against a saved chain head.

With ``ledger_key=`` (a secret of at least :data:`KEY_BYTES` bytes that the host keeps outside the database),
every head the journal writes also holds the grant's amount, currency and ledger entry (the running totals), and
``seal``: an HMAC-SHA256 of all of these together with the head's scope, key, and the grant's position and hash.
The ledger then counts from the head itself, once its seal matches, and never from a row anyone could have
rewritten: a head whose seal does not match (edited, swapped with another head, or written without the key) is
refused with :class:`~recovery_rules.JournalIntegrityError`, and edits of the grant rows themselves no longer
change what the ledger counts (:meth:`Journal.verify` still finds them).

A journal is *sealed* once a key was given: it keeps :func:`key_check` of its key (an HMAC of a fixed text, from
which the key cannot be found), so a journal opened with another key is refused at once, and one opened with no
key may read but not record grants (it would write heads without seals). A journal that already has grants is
sealed explicitly, by :meth:`Journal.seal_ledger`, which checks the chain and every head first.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from recovery_rules.exceptions import InvalidInputError, JournalError, JournalIntegrityError

from ._events import GrantRow, sealed_grant_row
from ._store import LedgerHead, Scope

__all__ = [
    "KEY_BYTES",
    "check_key",
    "checked_ledger_key",
    "grant_of_head",
    "grant_seal",
    "key_check",
    "same_seal",
    "sealed_head",
]

KEY_BYTES: Final = 32
"""The shortest ledger key accepted: 32 bytes (256 bits), as long as the HMAC-SHA256 it keys."""

_HEAD: Final = b"recovery-rules ledger head 1\n"
_CHECK: Final = b"recovery-rules ledger key check 1"


def checked_ledger_key(key: object) -> bytes | None:
    """``key`` as the bytes of a ledger key (``None`` stays ``None``); anything else raises, saying what to pass."""
    if key is None:
        return None
    if not isinstance(key, bytes | bytearray | memoryview):
        raise InvalidInputError.at(
            "journal",
            "ledger_key",
            f"must be bytes (a secret of at least {KEY_BYTES} bytes, such as secrets.token_bytes(32)), "
            f"not {type(key).__name__}",
        )
    secret = bytes(key)
    if len(secret) < KEY_BYTES:
        raise InvalidInputError.at(
            "journal", "ledger_key", f"must be at least {KEY_BYTES} bytes long (it has {len(secret)})"
        )
    return secret


def key_check(secret: bytes) -> str:
    """What a sealed journal keeps of its key: an HMAC of a fixed text, to tell the right key from another."""
    return hmac.digest(secret, _CHECK, hashlib.sha256).hex()


def check_key(secret: bytes | None, stored: str | None) -> None:
    """Refuse ``secret`` when the journal is sealed (``stored``: its :func:`key_check`) with another key."""
    if secret is not None and stored is not None and not same_seal(key_check(secret), stored):
        raise JournalError("the ledger_key is not the key this journal's ledger was sealed with")


def grant_seal(secret: bytes, head: LedgerHead) -> str:
    """The HMAC-SHA256 (hex) of the grant ``head`` names: of its seq, hash, amount, currency and ledger text.

    The message is each value's text after its length (``1:42:64:...``): one text for one set of values, whatever
    characters they hold. A grant's guest and incident heads carry the same seal: whose heads they are is read
    from the sealed ledger entry (its incident, and the incident's customer), and the ledger checks that the head
    it read is the guest's or the incident's it asked for.
    """
    seq, hash_, amount, currency, ledger, _ = head
    seq_text, amount, currency, ledger = str(seq), amount or "", currency or "", ledger or ""
    message = (
        f"{len(seq_text)}:{seq_text}{len(hash_)}:{hash_}{len(amount)}:{amount}{len(currency)}:{currency}"
        f"{len(ledger)}:{ledger}"
    )
    return hmac.digest(secret, _HEAD + message.encode("utf-8", "surrogatepass"), hashlib.sha256).hex()


def same_seal(expected: str, stored: object) -> bool:
    """Whether ``stored`` is the seal (or key check) ``expected``, compared in constant time; anything that is
    not a text of ASCII characters (a stored value edited into anything) is not."""
    return isinstance(stored, str) and stored.isascii() and hmac.compare_digest(expected, stored)


def sealed_head(secret: bytes, head: LedgerHead) -> LedgerHead:
    """``head`` (a grant's seq, hash, amount, currency and ledger text, as its event stores them) with its seal."""
    seq, hash_, amount, currency, ledger, _ = head
    return LedgerHead(seq, hash_, amount, currency, ledger, grant_seal(secret, head))


def grant_of_head(secret: bytes, scope: Scope, key: str, head: LedgerHead) -> GrantRow:
    """The grant sealed head ``head`` of ``scope`` ``key`` names, read from the head once its seal matches.

    Raises :class:`~recovery_rules.JournalIntegrityError` for a head with no seal, or one that does not match.
    (Whether it is the head of ``scope`` ``key`` is the caller's to check, from the grant's ledger entry.)
    """
    seq, hash_, amount, currency, ledger, seal = head
    if seal is None or amount is None or currency is None or ledger is None:
        raise JournalIntegrityError(
            seq,
            f"the ledger's record of this {scope}'s latest grant carries no seal: it was written without the "
            "ledger key, or edited",
        )
    texts = (scope, key, hash_, amount, currency, ledger, seal)
    if type(seq) is not int or not all(type(text) is str for text in texts):
        raise JournalIntegrityError(seq, f"the ledger's record of this {scope}'s latest grant was edited")
    if not same_seal(grant_seal(secret, head), seal):
        raise JournalIntegrityError(
            seq, f"the ledger's record of this {scope}'s latest grant does not match its seal: it was edited"
        )
    row = sealed_grant_row(seq, hash_, amount, currency, ledger)
    if row is None:  # pragma: no cover - a head sealed with the key was written by the journal itself
        raise JournalIntegrityError(seq, f"the ledger's record of this {scope}'s latest grant cannot be read")
    return row
