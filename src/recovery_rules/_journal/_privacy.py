"""Personal data in events: sealed with a per-customer key kept outside the chain, and erased by destroying it.

An event's ``data`` holds what the steps record, and some of it is the customer's: their name, their
account of what happened, the employee's notes of what they said, a manager's reason, a report's summary.
An append-only, hash-chained record cannot forget those, so a journal that encrypts personal data
(``SQLiteJournal(path, encrypt_personal_data=True)`` and the other backends' same argument) stores each
of them as a *sealed value* instead of the text:

    {"sealed": "aes-256-gcm", "key": "<key id>", "box": "<base64url of nonce and ciphertext>"}

encrypted with AES-256-GCM (the ``cryptography`` package's ``AESGCM``; nothing here is hand-written
cryptography) under a data key of the customer's own, with a fresh 96-bit nonce per value and the key id
and the value's place in ``data`` as associated data (a sealed value moved to another field, or another
customer's, does not open). The sealed value is what the event's hash covers, so the chain verifies the
same before and after an erasure. The data keys live in a table beside the events, outside the chain;
:meth:`Journal.erase_customer` destroys a customer's keys, and from then on every personal field of
their events reads back as :data:`ERASED`.

Which fields are personal is decided by their place in ``data`` (:func:`is_personal`): the whole list is
in the journal page of the documentation.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Final

from recovery_rules._values._base import RecoveryModel
from recovery_rules.exceptions import InvalidInputError, JournalIntegrityError, MissingDependencyError

from ._canonical import JSONValue

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ALGORITHM",
    "ERASED",
    "Erasure",
    "KeyRing",
    "check_encrypt_flag",
    "is_personal",
    "key_ids",
    "keyed_digest",
    "new_key",
    "new_key_id",
    "open_data",
    "personal_texts",
    "seal_data",
]

ALGORITHM: Final = "aes-256-gcm"
"""The ``sealed`` mark of a sealed value: AES-256-GCM, 96-bit nonce, 128-bit tag."""

ERASED: Final = "[erased]"
"""What a personal field of an erased customer's event reads back as."""

_NONCE: Final = 12

_ANYWHERE: Final = frozenset({"notes", "summary", "denial_reason", "comment", "words", "feedback"})
"""Keys whose text is personal wherever they are in ``data``: what employees wrote down of the conversation."""

_SUFFIXES: Final = (
    ("customer", "name"),  # the complaint's customer
    ("complaint", "description"),  # the customer's account, in their own words
    ("requested", "description"),  # what they asked for, in their words
    ("remedy", "description"),  # the same, restated (ask_preferred_solution, a decision's remedy)
    ("offer", "description"),  # a manager's counter-offer: the preferred remedy's, for less
    ("counter_offer_declined", "description"),  # the same, in the report once the customer declined it
)
"""Places whose text is personal when a path ends with them."""

_TOP: Final = frozenset({"reason"})
"""Keys whose text is personal at the top of ``data`` only: a manager's reason for a denial (a decision's
``resolution.reason`` is the engine's own wording, not personal)."""


_LAST: Final = _ANYWHERE | _TOP | {suffix[-1] for suffix in _SUFFIXES}
"""The last name of every personal path: a quick refusal of the many names that are never personal."""


def is_personal(path: tuple[str, ...]) -> bool:
    """Whether the text at ``path`` in an event's ``data`` is personal (list positions are ``"*"``)."""
    if not path or path[-1] not in _LAST:
        return False
    if path[-1] in _ANYWHERE or (len(path) == 1 and path[0] in _TOP):
        return True
    return any(path[-len(suffix) :] == suffix for suffix in _SUFFIXES)


def _is_sealed(value: object) -> bool:
    return isinstance(value, Mapping) and value.get("sealed") == ALGORITHM


def _aesgcm() -> type[AESGCM]:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - an optional extra
    except ImportError:
        raise MissingDependencyError("encrypting personal data", "privacy", "cryptography") from None
    return AESGCM


def check_encrypt_flag(value: object) -> bool:
    """The ``encrypt_personal_data`` argument, checked; ``True`` needs the ``cryptography`` package."""
    if not isinstance(value, bool):
        raise InvalidInputError.at("journal", "encrypt_personal_data", "must be True or False")
    if value:
        _aesgcm()
    return value


def new_key() -> bytes:
    """A fresh 256-bit data key (from the operating system's random source, through ``cryptography``)."""
    return bytes(_aesgcm().generate_key(bit_length=256))


def new_key_id() -> str:
    """A fresh key id: 32 random hexadecimal digits, naming nothing about the customer."""
    return secrets.token_hex(16)


class KeyRing:
    """The ciphers of some data keys, by key id; a key id mapped to ``None`` was destroyed (erased)."""

    __slots__ = ("_ciphers",)

    def __init__(self, keys: Mapping[str, bytes | None]) -> None:
        aesgcm = _aesgcm() if any(key is not None for key in keys.values()) else None
        self._ciphers: dict[str, AESGCM | None] = {
            key_id: None if key is None or aesgcm is None else aesgcm(key) for key_id, key in keys.items()
        }

    def cipher(self, key_id: str) -> AESGCM | None:
        """The cipher of ``key_id``, ``None`` when its key was destroyed."""
        return self._ciphers.get(key_id)


def keyed_digest(key: bytes, plain: str) -> str:
    """The digest of a request (``plain``, its SHA-256 in hexadecimal) keyed with a customer's data key.

    HMAC-SHA256 (the standard library's) under a subkey derived from the data key for this use alone, so
    that the digest of a request holding the customer's words confirms no guess of them without the key,
    and reveals nothing once the key is destroyed.
    """
    subkey = hmac.new(key, b"recovery-rules request digest", hashlib.sha256).digest()
    return hmac.new(subkey, bytes.fromhex(plain), hashlib.sha256).hexdigest()


Place = tuple[str, int]
"""The event a sealed value belongs to: its complaint number and its version in the case."""


def _aad(key_id: str, path: tuple[str, ...], event: Place | None = None) -> bytes:
    if event is None:  # values sealed before the event was bound in: they still open, where they were written
        return "\x1f".join((ALGORITHM, key_id, *path)).encode("utf-8")
    number, version = event  # "\x1e" never in a key id: no value of the older spelling has this associated data
    return "\x1f".join((ALGORITHM, key_id + "\x1e" + number + "\x1e" + str(version), *path)).encode("utf-8")


def seal_data(
    data: Mapping[str, JSONValue], key_id: str, key: bytes, *, event: Place | None = None
) -> dict[str, JSONValue] | None:
    """``data`` with every non-empty personal text replaced by its sealed value (one encryption each).

    ``event`` (the complaint number and version of the event ``data`` is for) is bound into each value's
    associated data, so that a value copied into another event does not open there.
    ``None`` when ``data`` holds no personal text: the event is stored as it is.
    """
    cipher = _aesgcm()(key)
    sealed = 0

    def seal(value: JSONValue, path: tuple[str, ...], place: tuple[str, ...]) -> JSONValue:
        if isinstance(value, Mapping):
            return {name: seal(item, (*path, name), (*place, name)) for name, item in value.items()}
        if isinstance(value, list):
            return [seal(item, (*path, "*"), (*place, str(index))) for index, item in enumerate(value)]
        if isinstance(value, str) and value and is_personal(path):
            nonlocal sealed
            sealed += 1
            nonce = secrets.token_bytes(_NONCE)
            box = nonce + cipher.encrypt(nonce, value.encode("utf-8"), _aad(key_id, place, event))
            return {"sealed": ALGORITHM, "key": key_id, "box": base64.urlsafe_b64encode(box).decode("ascii")}
        return value

    result = seal(dict(data), (), ())
    return result if sealed else None  # type: ignore[return-value]  # a mapping seals to a dict


def key_ids(data: Mapping[str, JSONValue]) -> set[str]:
    """The key ids of the sealed values in ``data`` (empty for data without any)."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, Mapping):
            if _is_sealed(value):
                found.add(str(value.get("key")))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def open_data(
    data: Mapping[str, JSONValue], keys: KeyRing, *, seq: int, event: Place | None = None
) -> dict[str, JSONValue]:
    """``data`` with every sealed value opened, or :data:`ERASED` where its key was destroyed.

    A sealed value that does not open with its key (changed, or moved from another place) raises
    :class:`~recovery_rules.JournalIntegrityError` for event ``seq``; so does one outside a personal place.
    """

    def open_(value: JSONValue, path: tuple[str, ...], place: tuple[str, ...]) -> JSONValue:
        if _is_sealed(value):
            assert isinstance(value, Mapping)  # noqa: S101 - narrowed by _is_sealed, for mypy
            if not is_personal(path) or set(value) != {"sealed", "key", "box"}:
                raise JournalIntegrityError(seq, "a sealed value is stored where no personal data goes")
            key_id, box = value["key"], value["box"]
            if not isinstance(key_id, str) or not isinstance(box, str):
                raise JournalIntegrityError(seq, "a sealed value is not in its one spelling")
            cipher = keys.cipher(key_id)
            if cipher is None:
                return ERASED
            return _decrypt(cipher, key_id, box, place, seq, event=event)
        if isinstance(value, Mapping):
            return {name: open_(item, (*path, name), (*place, name)) for name, item in value.items()}
        if isinstance(value, list):
            return [open_(item, (*path, "*"), (*place, str(index))) for index, item in enumerate(value)]
        return value

    return open_(dict(data), (), ())  # type: ignore[return-value]  # a mapping opens to a dict


def _decrypt(
    cipher: AESGCM, key_id: str, box: str, place: tuple[str, ...], seq: int, *, event: Place | None = None
) -> str:
    from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - an optional extra, present with the cipher

    try:
        raw = base64.urlsafe_b64decode(box.encode("ascii"))
        if event is not None:
            try:
                return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(key_id, place, event)).decode("utf-8")
            except InvalidTag:
                pass  # sealed before values were bound to their event: opened as it was written
        return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(key_id, place)).decode("utf-8")
    except (InvalidTag, ValueError, UnicodeError):
        raise JournalIntegrityError(seq, "a sealed personal value does not open with its key: it was changed") from None


def personal_texts(data: Mapping[str, JSONValue]) -> list[str]:
    """The personal texts ``data`` holds in the clear (not sealed), for refusing to erase what cannot be."""
    found: list[str] = []

    def walk(value: object, path: tuple[str, ...]) -> None:
        if _is_sealed(value):
            return
        if isinstance(value, Mapping):
            for name, item in value.items():
                walk(item, (*path, str(name)))
        elif isinstance(value, list):
            for item in value:
                walk(item, (*path, "*"))
        elif isinstance(value, str) and value and value != ERASED and is_personal(path):
            found.append(value)

    walk(data, ())
    return found


class Erasure(RecoveryModel):
    """A record that a customer's personal data was erased: who, when, and how many data keys were destroyed.

    It holds no personal data: the customer number (which the complaint numbers hold already), the time,
    the employee id given, and the count of keys destroyed.
    """

    _what: ClassVar[str] = "erasure"

    customer_id: str
    erased_at: dt.datetime
    employee: str | None = None
    keys_destroyed: int
