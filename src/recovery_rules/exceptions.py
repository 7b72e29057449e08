"""The exceptions recovery-rules raises.

Deciding a complaint never raises for a business reason: a refusal is a
``DENIED`` resolution, not an exception. Exceptions mean misuse: input that is
not valid, a policy that cannot be trusted, a missing optional dependency.

Every exception derives from :class:`RecoveryRulesError`, and each one also
derives from the builtin exception a caller would naturally catch, so
``except ValueError`` keeps working around code that feeds the library bad
input::

    RecoveryRulesError
    ├── InvalidInputError (ValueError)       a value the library was given is not valid
    │   ├── CurrencyMismatchError            two amounts in different currencies were combined
    │   ├── UnknownLevelError                an authority level the policy does not define
    │   ├── UnknownLocaleError               a locale that neither the library nor the policy speaks
    │   ├── UnknownRemedyError               a remedy kind outside the policy's vocabulary
    │   └── IdempotencyConflictError         an idempotency key reused for a different step
    ├── PolicyError (ValueError)             a policy does not load; lists every problem
    ├── PolicyCheckError (AssertionError)   recovery_rules.testing found a broken promise
    ├── MissingDependencyError (ImportError) an optional extra is not installed
    ├── WorkflowError (RuntimeError)         a case step not allowed now; names the steps allowed next
    │   ├── AuthorityError                   the acting level may not grant or deliver this
    │   └── StaleCaseError                   the case moved on in the journal since it was read
    ├── JournalError (RuntimeError)          a journal cannot be used as it is
    │   └── JournalIntegrityError            a stored event was edited, removed or reordered
    └── EngineError (RuntimeError)           the durable-rules backend cannot run a policy, or failed

Error messages say what was wrong and how to fix it. They never repeat
personal data a caller passed in (names, descriptions, customer ids).
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from recovery_rules._values._shown import an_event
from recovery_rules._values._shown import shown as _shown

__all__ = [
    "AuthorityError",
    "CurrencyMismatchError",
    "EngineError",
    "IdempotencyConflictError",
    "InvalidInputError",
    "JournalError",
    "JournalIntegrityError",
    "MissingDependencyError",
    "PolicyCheckError",
    "PolicyError",
    "Problem",
    "RecoveryRulesError",
    "StaleCaseError",
    "UnknownLevelError",
    "UnknownLocaleError",
    "UnknownRemedyError",
    "WorkflowError",
]


_LINE_COLUMN: Final = re.compile(r"line \d+, column \d+")
_LONGEST_SOURCE: Final = 256
"""The most characters of a policy file's name a message quotes (its end, which names the file)."""


class RecoveryRulesError(Exception):
    """The root of every exception raised by recovery-rules.

    Every one pickles and copies with its message and its fields (``problems``, ``expected``...), so that a
    host may send it from a worker process to another (``concurrent.futures.ProcessPoolExecutor``).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Each subclass builds its message from arguments of its own, which ``self.args`` (the message) are not:
        # rebuilt from the message and the fields as they are, without calling ``__init__`` again.
        # A field holding what a caller gave (UnknownLevelError.name: any object) is sent as it is when it can be,
        # else as the message names it (its type's name): the error itself always crosses.
        return _rebuilt, (type(self), self.args, {name: _sendable(value) for name, value in self.__dict__.items()})


_PLAIN: Final = (str, int, float, bool, type(None), bytes)


def _sendable(value: object) -> object:
    """``value`` if it pickles (a plain value at once), else how a message quotes it (:func:`_shown`)."""
    if type(value) in _PLAIN:
        return value
    try:
        pickle.dumps(value)
    except Exception:  # whatever pickling a caller's object raises, it is not sent
        return _shown(value)
    return value


def _rebuilt(cls: type[RecoveryRulesError], args: tuple[object, ...], fields: dict[str, object]) -> RecoveryRulesError:
    """An error of ``cls`` with these ``args`` and ``fields``, unpickled or copied (see ``__reduce__``)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(fields)
    return error


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong.

    ``location`` is a dotted path into the input (``levels[1].limit``), or
    ``""`` for the input as a whole. ``line`` and ``column`` (both counted
    from 1) say where it is in the text the input was read from, when that is
    known: :class:`PolicyError` from ``Policy.from_text`` and
    ``Policy.from_file`` sets them on every problem it can place, and
    :mod:`recovery_rules.files` (``locate``, ``SourceMap``) places problems in
    text a host app has; otherwise they are ``None``.

    ``str(problem)`` is ``location: message``, led by ``line N: `` when the
    line is known and the location does not already say it (a JSON or YAML
    syntax error's location is ``line 3, column 9`` itself; a TOML one's is
    empty, its line and column in the message).
    """

    location: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        said = f"{self.location}: {self.message}" if self.location else self.message
        if self.line is None or not self.location or _LINE_COLUMN.fullmatch(self.location):
            return said
        return f"line {self.line}: {said}"


def _render(headline: str, problems: tuple[Problem, ...]) -> str:
    if len(problems) == 1:
        return f"{headline}: {problems[0]}"
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return f"{headline} ({len(problems)} problems):\n{lines}"


class InvalidInputError(RecoveryRulesError, ValueError):
    """A value given to the library is not valid.

    ``problems`` lists every invalid field with its location, so a host app can
    show all of them at once (for instance as a 422 response).
    """

    def __init__(self, what: str, problems: Iterable[Problem]) -> None:
        self.what = what
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem("", "invalid value"),)
        super().__init__(_render(f"invalid {what}", self.problems))

    @classmethod
    def at(cls, what: str, location: str, message: str) -> InvalidInputError:
        """The error of one problem: the value ``what`` is invalid at ``location``, because ``message``."""
        return cls(what, [Problem(location, message)])


class CurrencyMismatchError(InvalidInputError):
    """Amounts in two different currencies were added, subtracted or compared.

    ``currencies`` holds the two codes. With ``policy=True`` the first is the
    policy's currency and the message says the amount at ``location`` is not in it.
    A journal's ledger raises it when a customer was granted amounts in another
    currency than the deciding policy's (policies sharing a journal share a currency).
    """

    def __init__(
        self, left: str, right: str, *, location: str = "", policy: bool = False, message: str | None = None
    ) -> None:
        self.currencies = (left, right)
        if message is None:
            message = (
                f"is in {right}, but the policy's amounts are in {left}; convert it to {left} first"
                if policy
                else f"cannot combine {left} with {right}; convert one amount to the other's currency first"
            )
        super().__init__("amount", [Problem(location, message + " (recovery-rules never converts currencies itself)")])


class UnknownLevelError(InvalidInputError):
    """An authority level name that the policy does not define.

    ``location`` names the argument that held it: ``by`` when deciding, ``to``
    for a case's report, ``name`` for :meth:`Policy.level`. ``name`` is what was
    given; when it is no string at all (``None``, a number), the message says so.
    """

    def __init__(self, name: object, known: Iterable[str], *, location: str = "by") -> None:
        self.name = name
        self.known = tuple(known)
        listed = ", ".join(self.known)
        if isinstance(name, str):
            message = f"the policy has no level named {_shown(name)}; use one of: {listed}"  # cut at 64 characters
        else:  # not a name at all: what it is, not its class's name as if it were a level's ('NoneType')
            given = "None" if name is None else type(name).__name__
            message = f"must be the name of one of the policy's levels, a string, not {given}; use one of: {listed}"
        super().__init__("authority level", [Problem(location, message)])


class UnknownLocaleError(InvalidInputError):
    """A locale that neither the built-in wording nor the policy's ``wording`` speaks.

    ``locale`` is what was given; when it is no string at all (``None``, bytes), the message says so.
    """

    def __init__(self, locale: object, known: Iterable[str]) -> None:
        self.locale = locale
        self.known = tuple(known)
        listed = ", ".join(self.known)
        if isinstance(locale, str) and "_" in locale:  # a POSIX locale name, such as 'en_GB.UTF-8'
            message = (
                f"there is no wording for {_shown(locale, longest=35)}: a locale tag is written with '-', "
                f"such as 'en-GB', and without an encoding; use one of: {listed}"
            )
        elif isinstance(locale, str):
            message = f"there is no wording for {_shown(locale, longest=35)}; use one of: {listed}"
        else:  # not a tag at all: what it is, not its class's name as if it were a locale's ('NoneType')
            given = "None" if locale is None else type(locale).__name__
            message = f"must be a locale tag, a string such as 'en', not {given}; use one of: {listed}"
        super().__init__("locale", [Problem("locale", f"{message} (or add a [wording.<tag>] table to the policy)")])


class UnknownRemedyError(InvalidInputError):
    """A remedy kind that is not a word of the policy's vocabulary."""

    def __init__(self, kind: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.known = tuple(known)
        super().__init__(
            "remedy",
            [
                Problem(
                    "requested.kind",
                    f"{_shown(kind)} is not a remedy kind of this policy; use one of: "
                    f"{', '.join(self.known)} (or add it to the policy's remedy_kinds)",
                )
            ],
        )


class PolicyError(RecoveryRulesError, ValueError):
    """A policy is not valid, so it does not load.

    ``problems`` lists every problem found, not only the first, each with its
    location in the policy (``levels[2].limit``, ``catalog[7].value``...).
    ``source`` names the file, when the policy came from one. Raised by
    ``Policy.from_text`` and ``Policy.from_file``, each problem also has its
    ``line`` and ``column`` in the text wherever they can be found, and the
    message shows the line (``line 12: levels[2].limit: ...``).
    """

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem("", "invalid policy"),)
        self.source = source
        if source and len(source) > _LONGEST_SOURCE:  # a path, not a document: its end names the file
            source = "..." + source[-(_LONGEST_SOURCE - 3) :]
        headline = f"policy {source} does not load" if source else "the policy does not load"
        super().__init__(_render(headline, self.problems))


class PolicyCheckError(RecoveryRulesError, AssertionError):
    """:func:`recovery_rules.testing.check_policy` found a decision that breaks a promise.

    ``violations`` says what was broken; ``example`` is the decision input, ready to re-run.
    """

    def __init__(self, violations: Iterable[str], example: str) -> None:
        self.violations = tuple(violations)
        self.example = example
        lines = "\n".join(f"  - {violation}" for violation in self.violations)
        super().__init__(f"the policy breaks a promise:\n{lines}\nfor this decision:\n{example}")


class MissingDependencyError(RecoveryRulesError, ImportError):
    """An optional feature was used without its extra installed."""

    def __init__(self, feature: str, extra: str, package: str) -> None:
        self.feature = feature
        self.extra = extra
        self.package = package
        super().__init__(
            f"{feature} needs the optional dependency {package!r}; "
            f"install it with: pip install 'recovery-rules[{extra}]'"
        )


class IdempotencyConflictError(InvalidInputError):
    """An idempotency key that was already used for a different request.

    A repeated step with the same key and the same content returns the first
    result without writing; the same key with different content is refused,
    because it means two different requests were given one key. ``seq`` is the
    journal position of the event first recorded under the key and ``recorded``
    its kind (for a key given twice in one transaction of
    :meth:`Journal.append_many <recovery_rules.Journal.append_many>`, the position
    its first entry would have had: that transaction is not recorded, so the
    journal holds no such event, or later another one there). The key itself is
    not repeated in the message.

    ``erased`` is true when the event's customer had their personal data erased
    (:meth:`Journal.erase_customer <recovery_rules.Journal.erase_customer>`): the
    digest of a request recorded before the erasure was keyed with the customer's
    destroyed key, so a repeat of it can no longer be told from a different
    request, and the message says so rather than call it a different request.
    """

    def __init__(self, *, seq: int, recorded: str, erased: bool = False) -> None:
        self.seq = seq
        self.recorded = recorded
        self.erased = erased
        event = f"{an_event(recorded)}, journal event {seq}"
        said = (
            f"was already used ({event}) for a customer whose personal data was erased: a repeat of a request "
            "made before the erasure can no longer be told from a different request; use a new key"
            if erased
            else f"was already used for a different request ({event}); "
            "use a new key for a new request, and the same key only to repeat the same request"
        )
        super().__init__("idempotency key", [Problem("key", said)])


class WorkflowError(RecoveryRulesError, RuntimeError):
    """A case step that is not allowed in the case's current state.

    ``step`` is the step tried, ``state`` the case's state and ``allowed`` the
    steps allowed next, which the message names too. Nothing was recorded.
    It is a ``RuntimeError`` (the call is fine, the moment is not), as Python
    raises for an operation the object's state does not allow.
    """

    def __init__(self, step: str, state: str, allowed: Iterable[str], *, detail: str = "") -> None:
        self.step = step
        self.state = state
        self.allowed = tuple(allowed)
        next_steps = ", ".join(self.allowed) if self.allowed else "none (the case is closed)"
        what = detail or f"{step} is not allowed now: the case is in state {state!r}"
        super().__init__(f"{what}; the steps allowed next are: {next_steps}")


class AuthorityError(WorkflowError):
    """The acting level may not do this step: grant this amount, or deliver this news.

    ``level`` is the level that tried; ``needed`` the lowest level that could
    (``None`` when no level can, for instance over the per-guest cap).
    Nothing was recorded; the steps in ``allowed`` are still open. ``detail`` is
    why, and the message ``"{step} by {level} is refused: {detail}"``, or ``lead``
    in place of its words before the colon when the call was another than the
    step's own (:meth:`Case.offers <recovery_rules.Case.offers>` names the call).
    """

    def __init__(
        self,
        step: str,
        state: str,
        allowed: Iterable[str],
        *,
        level: str,
        needed: str | None,
        detail: str,
        lead: str | None = None,
    ) -> None:
        self.level = level
        self.needed = needed
        self.detail = detail
        said = f"{step} by {level} is refused" if lead is None else lead
        super().__init__(step, state, allowed, detail=f"{said}: {detail}")


class StaleCaseError(WorkflowError):
    """The case has another number of events in the journal than the writer expected.

    Another writer recorded a step first (or, with fewer events than expected,
    the version given is wrong). :class:`~recovery_rules.Case` reloads and
    re-checks the step by itself; a caller appending to a journal directly sees
    this error and should read the case again.
    """

    def __init__(self, *, expected: int, found: int) -> None:
        self.expected = expected
        self.found = found
        self.step = "append"
        self.state = ""
        self.allowed = ()
        events = f"{found} event" if found == 1 else f"{found} events"
        if found < expected:  # a case's events are never taken back: no writer made this, the version is wrong
            message = (
                f"the journal holds only {events} of this case, not the {expected} expected: "
                "expected_version is the number of events the case has (journal.version(number)); "
                "read the case again and re-check the step"
            )
        else:
            message = (
                f"another writer recorded a step of this case first: the journal holds {events} of it, "
                f"not {expected}; read the case again and re-check the step"
            )
        RuntimeError.__init__(self, message)


class JournalError(RecoveryRulesError, RuntimeError):
    """A journal cannot be used as it is, or its storage failed.

    The file or schema is not a recovery-rules journal, or of a newer format;
    the journal is closed; or the storage refused or failed the operation: the
    database cannot be reached, another writer held the journal past the
    timeout, the disk is full, the user may only read. The message says which
    (with the SQLSTATE, for PostgreSQL) and never repeats PostgreSQL's own
    text, which can quote stored values (SQLite's, which never does, is kept). A step that raised recorded nothing,
    unless the message says that is not known: then repeat it with the same
    idempotency key.
    """


class JournalIntegrityError(JournalError):
    """A stored event does not match the hash chain: something was edited, removed or reordered.

    ``seq`` is the journal position of the first bad event and ``problem``
    says what is wrong with it.
    """

    def __init__(self, seq: int, problem: str) -> None:
        self.seq = seq
        self.problem = problem
        super().__init__(f"journal event {seq} is bad: {problem}")


class EngineError(RecoveryRulesError, RuntimeError):
    """An alternative engine (:class:`~recovery_rules.DurableEngine`) cannot run a policy, or failed.

    The policy itself is valid, and :meth:`Policy.decide <recovery_rules.Policy.decide>` decides it.
    """
