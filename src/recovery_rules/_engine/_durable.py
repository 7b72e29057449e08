"""The durable-rules backend: a policy's rules, run by the durable-rules engine.

``DurableEngine(policy)`` compiles the policy into durable-rules rulesets, one
per remedy kind, and decides by posting each complaint to them. The engine
answers two questions with the rules it fires: which level is the lowest that
may grant the total, and what the decision is (refused, over the cap,
approved, escalated to which level, or beyond every level). The answer is a
:class:`~recovery_rules._engine._rules.Verdict`; the core engine explains it (trace,
reason, Plan B), so both engines say the same thing in the same words.

How the rules are written, and why:

- **Only validated integers reach the engine.** durable-rules compares JSON
  numbers, and NaN, strings or booleans compare in surprising ways. Every
  amount is a ``Decimal`` with the currency's decimal places, so it is sent as
  an exact count of minor units (cents); limits and the cap are written the
  same way, and JSON integers compare as 64-bit integers.
- **Shared-prefix chains, never wide fans.** The engine's matching stack holds
  at most 64 sibling conditions that are true at once (error 303); a rule per
  level ("below the limit of level *k*") overflows it on a 100-level ladder.
  So each ladder is a binary search written as rules: a rule's conditions are
  the path to one interval of the total (or of the acting level's rank), and
  rules share their prefixes, so at most two siblings are ever true. Every
  question has exactly one rule that answers it, and the number of rules grows
  linearly with the ladder (durable-rules holds at most 4,096 in a ruleset).
- **One session per caller at a time.** Sharing a session between threads
  loses or swaps results, and durable-rules' ``Host`` runs background threads
  that may take a pending result. This backend drives the engine's own calls
  (those ``durable.engine`` makes) on a session that only one thread uses at a
  time, checks that every answer belongs to the complaint it asked about, and
  deletes the rulesets when the engine is closed or collected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import json
import queue
import uuid
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, NoReturn, Self, SupportsIndex

from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._base import WORD
from recovery_rules._values._currencies import MINOR_UNITS
from recovery_rules._values._exported import show_loaded
from recovery_rules._values._models import Complaint
from recovery_rules._values._money import DECIMAL_CONTEXT
from recovery_rules.exceptions import EngineError, InvalidInputError, MissingDependencyError

from ._resolution import Resolution
from ._rules import INFINITY, CompiledPolicy, Finding, Granted, Verdict, decide

if TYPE_CHECKING:
    from ._rules import _Decision, _GrantingLevels

__all__ = ["DurableEngine"]

MAX_RULES: Final = 4096
"""The most rules durable-rules 2.0.28 holds in one ruleset (``MAX_ACTIONS``)."""

_MAX_INTEGER: Final = 2**63 - 1
_RULES_OK: Final = 0
_LOWEST: Final = 1
"""Question 1: the rank of the lowest level that may grant the total."""
_DECISION: Final = 2
"""Question 2: the decision."""


def _load() -> Any:
    """The durable-rules engine module, imported on first use."""
    try:
        return importlib.import_module("durable_rules_engine")
    except ImportError:  # not installed, or Python 3.13, where durable-rules 2.0.28 fails to import
        raise MissingDependencyError(
            "DurableEngine (durable-rules runs on Python 3.11 and 3.12)", "durable", "durable-rules"
        ) from None


@dataclass(frozen=True, slots=True)
class _Answer:
    """What firing one rule says: the lowest granting rank, or the decision."""

    question: int
    finding: Finding | None = None
    rank: int | None = None


_Condition = dict[str, Any]


def _minor_units(amount: Decimal, places: int) -> int:
    """``amount`` as a whole number of the currency's minor units (cents); exact, as amounts have its places."""
    return int(amount.scaleb(places, context=DECIMAL_CONTEXT))


def _threshold(amount: Decimal, places: int) -> int:
    """A limit or cap in minor units, as a rule compares with it."""
    units = _minor_units(amount, places)
    if units >= _MAX_INTEGER:
        raise EngineError(
            f"durable-rules compares 64-bit integers, and a limit of {units:,} minor units does not fit; "
            "decide with Policy.decide, which has no such limit"
        )
    return units


class _Rulebook:
    """The rules for one remedy kind, as durable-rules' JSON ruleset definition."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.rules: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, _Answer] = {}

    def add(self, conditions: list[_Condition], answer: _Answer, label: str) -> None:
        question = "lowest" if answer.question == _LOWEST else "decision"
        name = f"{question}.{len(self.rules)}.{label}"
        when = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        self.rules[name] = {"all": [{"m": when}]}
        self.answers[name] = answer


def _intervals(limits: tuple[int | None, ...]) -> list[tuple[int | None, int | None]]:
    """The intervals of the total that ascending ``limits`` (``None``: unlimited) cut out, lowest first.

    Each is ``(highest total in it, or None for no bound; index of the lowest limit covering it, or None)``.
    """
    out: list[tuple[int | None, int | None]] = []
    for index, limit in enumerate(limits):
        if out and out[-1][0] == limit:
            continue  # an equal limit covers the same totals; the lower level comes first
        out.append((limit, index))
        if limit is None:
            return out
    out.append((None, None))  # above every limit: no level may grant it
    return out


def _search(highs: list[int | None], field: str) -> Iterator[tuple[list[_Condition], int]]:
    """A binary search over consecutive ranges of ``field``, written as rule conditions.

    ``highs`` holds the highest value of each range, ascending; the last range
    is unbounded above (its entry is not used). Yields, for each range, the
    conditions that select it and nothing else, and its position. The two
    conditions at each step exclude each other, so at most one is true.
    """

    def split(low: int, high: int, path: list[_Condition]) -> Iterator[tuple[list[_Condition], int]]:
        if low == high:
            yield path, low
            return
        middle = (low + high) // 2
        edge = highs[middle]
        yield from split(low, middle, [*path, {"$lte": {field: edge}}])
        yield from split(middle + 1, high, [*path, {"$gt": {field: edge}}])

    yield from split(0, len(highs) - 1, [])


def _ladder(
    book: _Rulebook, prefix: list[_Condition], rungs: _GrantingLevels, places: int, names: tuple[str, ...]
) -> None:
    """The rules that answer both questions for one ladder: one remedy kind, one customer tier.

    With ``total = granted + asked``, ``i`` the lowest level that may grant it
    and ``a`` the acting level: below ``i``, ``a`` escalates to ``i`` (searched
    by the total); from ``i`` up, ``a`` approves when it may grant the kind, and
    otherwise escalates to the next level above it that may (searched by rank,
    then one comparison with the limit of the granting level at or below ``a``).
    Limits never fall as ranks rise, so exactly one rule answers each question.
    """
    ranks = rungs.ranks
    limits = tuple(None if limit is INFINITY else _threshold(limit, places) for limit in rungs.limits)
    intervals = _intervals(limits)
    for path, position in _search([high for high, _ in intervals], "total"):
        index = intervals[position][1]
        lowest, decision = [{"q": _LOWEST}, *prefix, *path], [{"q": _DECISION}, *prefix, *path]
        if index is None:
            book.add(lowest, _Answer(_LOWEST), "nobody")
            book.add(decision, _Answer(_DECISION, Finding.NO_LEVEL), "nobody_may_grant")
        else:
            target = ranks[index]
            book.add(lowest, _Answer(_LOWEST, rank=target), names[target])
            if target > 0:  # an acting level below it escalates to it
                answer = _Answer(_DECISION, Finding.ESCALATED, target)
                book.add([*decision, {"$lt": {"rank": target}}], answer, f"escalate_to_{names[target]}")
    # Ranges of the acting level's rank: (highest rank, index of the granting level at or below, whether it is it).
    segments: list[tuple[int, int, bool]] = []
    for index, rank in enumerate(ranks):
        below = segments[-1][0] if segments else -1
        if rank > below + 1:
            segments.append((rank - 1, index - 1, False))
        segments.append((rank, index, True))
    if not segments or segments[-1][0] < len(names) - 1:
        segments.append((len(names) - 1, len(ranks) - 1, False))
    for path, position in _search([high for high, _, _ in segments], "rank"):
        _, index, granting = segments[position]
        if index < 0:
            continue  # below every level that may grant it: the escalation by the total answers
        within = [] if limits[index] is None else [{"$lte": {"total": limits[index]}}]
        conditions = [{"q": _DECISION}, *prefix, *path, *within]
        if granting:
            book.add(conditions, _Answer(_DECISION, Finding.APPROVED), f"{names[ranks[index]]}_approves")
        elif index + 1 < len(ranks):
            target = ranks[index + 1]
            book.add(conditions, _Answer(_DECISION, Finding.ESCALATED, target), f"escalate_to_{names[target]}")
        else:
            book.add(conditions, _Answer(_DECISION, Finding.NO_LEVEL), "nobody_above_may_grant")


def _rulebook(policy: CompiledPolicy, kind: str, places: int) -> _Rulebook:
    """Every rule for complaints asking for ``kind``."""
    book = _Rulebook(kind)
    base: list[_Condition] = [{"kind": kind}]
    if kind in policy.refused:
        book.add([{"q": _LOWEST}, *base], _Answer(_LOWEST), "nobody")
        book.add([{"q": _DECISION}, *base], _Answer(_DECISION, Finding.REFUSED), "refused")
        return book
    if policy.stacked:
        # Several caps, each compared with the total in its own window (field ``cap<i>``): a chain, each rule
        # over one cap and within every cap before it, so exactly one rule answers.
        for index, each in enumerate(policy.caps):
            field, limit = f"cap{index}", _threshold(each.limit, places)
            over = {"$gt": {field: limit}}
            book.add([{"q": _LOWEST}, *base, over], _Answer(_LOWEST), f"nobody_over_cap_{index}")
            book.add([{"q": _DECISION}, *base, over], _Answer(_DECISION, Finding.OVER_CAP), f"over_cap_{index}")
            base.append({"$lte": {field: limit}})
    elif policy.cap is not INFINITY:
        cap = _threshold(policy.cap, places)
        book.add([{"q": _LOWEST}, *base, {"$gt": {"total": cap}}], _Answer(_LOWEST), "nobody")
        book.add([{"q": _DECISION}, *base, {"$gt": {"total": cap}}], _Answer(_DECISION, Finding.OVER_CAP), "over_cap")
        base.append({"$lte": {"total": cap}})
    by_tier = policy.rungs[kind]
    default = by_tier[None]
    # Tiers whose limits for this kind differ from everyone else's get a ladder of their own.
    named = sorted(tier for tier, rungs in by_tier.items() if tier is not None and rungs != default)
    names = tuple(level.name for level in policy.levels)
    for tier in named:
        _ladder(book, [*base, {"tier": tier}], by_tier[tier], places, names)
    _ladder(book, [*base, *({"$neq": {"tier": tier}} for tier in named)], default, places, names)
    return book


def _delete(engine: Any, handles: tuple[int, ...], sessions: list[str] | None = None) -> None:
    for handle in handles:
        # durable-rules' delete_ruleset leaves each session's state allocated: delete them first.
        for sid in sessions or ():
            with contextlib.suppress(Exception):  # a session may never have decided with this ruleset
                engine.delete_state(handle, sid)
        engine.delete_ruleset(handle)


def _ladder_size(compiled: CompiledPolicy) -> str:
    """The policy's ladder as its rule count grows with it: ``3 levels, 1,000 customer tiers with limits of
    their own``."""
    levels = len(compiled.levels)
    tiers = len({tier for level in compiled.levels for tier in level.tier_limits})
    said = f"{levels:,} level{'s' * (levels != 1)}"
    if tiers:
        said += f", {tiers:,} customer tier{'s' * (tiers != 1)} with limits of {'their' if tiers != 1 else 'its'} own"
    return said


def _not_copied(how: str) -> EngineError:
    """What copying or pickling a :class:`DurableEngine` raises: its rulesets live in this process's durable-rules,
    deleted when the engine closes, so a copy would close them under the original."""
    return EngineError(
        f"a DurableEngine cannot be {how}: its rulesets are loaded into durable-rules in this process and "
        "deleted when it closes; build another DurableEngine(policy) from the policy (a Policy copies and pickles)"
    )


class DurableEngine:
    """Decides with durable-rules what :meth:`Policy.decide <recovery_rules.Policy.decide>` decides.

    ``DurableEngine(policy).decide(complaint, by=..., granted=..., now=...)``
    returns the same :class:`~recovery_rules.Resolution` as ``policy.decide``,
    trace included: durable-rules fires the rules that find the verdict, and
    the verdict is explained as the core engine explains it.

    Needs the ``durable`` extra (``pip install 'recovery-rules[durable]'``;
    durable-rules runs on Python 3.11 and 3.12); without it,
    :class:`~recovery_rules.MissingDependencyError`. Safe to use from many
    threads at once. Its rulesets live in durable-rules' memory until
    :meth:`close` (or a ``with`` block, or garbage collection) deletes them;
    close it only when no decision is running. It is not copied or pickled (an
    :class:`~recovery_rules.EngineError`): build another from the policy. A policy too large for
    durable-rules (more than 4,096 rules for one remedy kind: about three a
    level, and three more a level for each tier with limits of its own) raises :class:`~recovery_rules.EngineError`.
    """

    __slots__ = (
        "__weakref__",
        "_books",
        "_compiled",
        "_engine",
        "_finalizer",
        "_handles",
        "_ids",
        "_places",
        "_sessions",
        "_sids",
        "_started",
    )

    def __init__(self, policy: Policy) -> None:
        if not isinstance(policy, Policy):
            raise InvalidInputError.at("policy", "policy", "must be a Policy, such as Policy.from_file(path)")
        engine = _load()
        compiled: CompiledPolicy = compiled_policy(policy)
        places = MINOR_UNITS[compiled.currency]
        books = {kind: _rulebook(compiled, kind, places) for kind in sorted(compiled.vocabulary)}
        for kind, book in books.items():
            if len(book.rules) > MAX_RULES:
                raise EngineError(
                    f"durable-rules holds at most {MAX_RULES:,} rules in a ruleset, and complaints asking for "
                    f"{kind!r} need {len(book.rules):,} with this policy ({_ladder_size(compiled)}); "
                    "decide with Policy.decide, which has no such limit"
                )
        name = f"recovery-rules-{uuid.uuid4().hex[:12]}"
        handles: dict[str, int] = {}
        try:
            for kind, book in books.items():
                handles[kind] = engine.create_ruleset(f"{name}.{kind}", json.dumps(book.rules))
        except Exception as error:
            _delete(engine, tuple(handles.values()))
            raise EngineError(f"durable-rules could not load the policy's rules: {error}") from None
        self._engine = engine
        self._compiled = compiled
        self._places = places
        self._books = books
        self._handles = handles
        self._sessions: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._sids = itertools.count(1)
        self._started: list[str] = []  # every session made, to delete with the rulesets
        self._ids = itertools.count(1, 2)
        self._finalizer = weakref.finalize(self, _delete, engine, tuple(handles.values()), self._started)

    # -- use ------------------------------------------------------------------
    def decide(
        self,
        complaint: Complaint,
        *,
        by: str,
        granted: Granted | None = None,
        now: dt.datetime | None = None,
        employee: str | None = None,
    ) -> Resolution:
        """Decide what an employee of level ``by`` may do about ``complaint``; see ``Policy.decide``."""
        if not self._finalizer.alive:
            raise EngineError("this DurableEngine is closed; make a new one")
        return decide(self._compiled, complaint, by, granted, now, employee=employee, rules=self._verdict)

    def close(self) -> None:
        """Delete the rulesets from durable-rules. Deciding afterwards raises :class:`~recovery_rules.EngineError`."""
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def rulesets(self) -> Mapping[str, dict[str, Any]]:
        """Per remedy kind, the ruleset definition durable-rules runs (its JSON form, as a copy)."""
        return {kind: json.loads(json.dumps(book.rules)) for kind, book in self._books.items()}

    # -- not copied ------------------------------------------------------------
    def __copy__(self) -> NoReturn:
        raise _not_copied("copied")

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise _not_copied("copied")

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise _not_copied("pickled")

    def __reduce__(self) -> NoReturn:
        raise _not_copied("pickled")

    def __repr__(self) -> str:
        rules = sum(len(book.rules) for book in self._books.values())
        state = "open" if self._finalizer.alive else "closed"
        return f"<DurableEngine for {self._compiled.name!r}: {len(self._books)} rulesets, {rules:,} rules, {state}>"

    # -- the verdict ------------------------------------------------------------
    def _verdict(self, decision: _Decision) -> Verdict:
        kind, tier = decision.kind, decision.tier
        if WORD.fullmatch(tier) is None:
            # Only a complaint built past validation gets here. Such a tier names no tier of the policy (its tiers
            # are words), so Policy.decide gives it the base limits; an empty tier, unlike every named one, does too.
            tier = ""
        # Every limit is below the largest integer durable-rules holds (checked when the rules are
        # written), so a larger total compares with each of them as that integer does.
        total = min(_minor_units(decision.total, self._places), _MAX_INTEGER)
        try:
            sid = self._sessions.get_nowait()
        except queue.Empty:
            sid = str(next(self._sids))
            self._started.append(sid)
        first = next(self._ids)
        fields = f'"sid":"{sid}","kind":"{kind}","tier":"{tier}","rank":{decision.actor.rank},"total":{total}'
        if self._compiled.stacked:  # each cap's total, in its own window
            for index, cap in enumerate(self._compiled.caps):
                in_window = DECIMAL_CONTEXT.add(decision.cap_before(cap).amount, decision.asked)
                fields += f',"cap{index}":{min(_minor_units(in_window, self._places), _MAX_INTEGER)}'
        events = f'[{{"id":{first},"q":{_LOWEST},{fields}}},{{"id":{first + 1},"q":{_DECISION},{fields}}}]'
        engine, handle, book = self._engine, self._handles[kind], self._books[kind]
        answers: dict[int, _Answer] = {}
        try:
            result, state = engine.assert_events(handle, events)
            if result != _RULES_OK:
                raise EngineError(f"durable-rules matched no rule for a complaint (result {result})")
            started = engine.start_action_for_state(handle, state)  # (state, fired rules) or None
            fired = None if started is None else started[1]
            while fired:
                for rule, match in json.loads(fired).items():
                    answer = book.answers[rule]
                    if match["m"]["id"] != first + answer.question - 1 or answer.question in answers:
                        raise EngineError(f"durable-rules gave an answer that is not this complaint's ({rule})")
                    answers[answer.question] = answer
                fired = engine.complete_and_start_action(handle, state)  # the next fired rules or None
        except BaseException as error:
            with contextlib.suppress(Exception):
                engine.delete_state(handle, sid)  # never reuse a session left in an unknown state
            if isinstance(error, Exception) and not isinstance(error, EngineError):
                raise EngineError(f"durable-rules failed to decide a complaint: {error}") from error
            raise
        self._sessions.put(sid)
        lowest, verdict = answers.get(_LOWEST), answers.get(_DECISION)
        if lowest is None or verdict is None or verdict.finding is None:
            raise EngineError("durable-rules did not answer every question about a complaint")
        return Verdict(verdict.finding, lowest.rank, verdict.rank)


show_loaded(__name__, globals())  # its exported names are recovery_rules.X from now on
