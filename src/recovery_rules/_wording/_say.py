"""What the employee says: every outcome and every step of a case in words, from the locale's templates.

:class:`Wording` speaks one locale of one policy: an apology first, then the
outcome in positive form (an approval; an escalation with the callback time,
said in the policy's time zone; a denial as the positive no, with the reason
why), each alternative with what makes it easy to act on, and thanks. For a
case, it says what the employee says now and what was said at each recorded
step (which messages, with which facts, is planned in :mod:`._step_words`). It
writes plain text, Markdown or HTML (see :mod:`._document`), and fills a
template only with text: nothing a value holds is ever interpreted.

Times and amounts are written from the locale's own settings, never from the
process's locale or ``TZ``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from recovery_rules._engine._resolution import Outcome, Resolution, checked_resolution
from recovery_rules._journal import Event
from recovery_rules._policy._parts import Alternative
from recovery_rules._policy._policy import Policy, compiled_policy
from recovery_rules._values._base import Suggestions, encodes
from recovery_rules._values._currencies import MINOR_UNITS, SYMBOLS
from recovery_rules._values._exported import show_loaded
from recovery_rules._values._models import Remedy
from recovery_rules._values._money import Money, read_money
from recovery_rules._values._shown import shown
from recovery_rules._values._time import AWARE, Window, is_aware
from recovery_rules._values._time import local as wall_clock
from recovery_rules.exceptions import InvalidInputError, Problem, UnknownLevelError, UnknownLocaleError

from ._document import FORMATS, Block, Format, Item, ItemList, Link, Paragraph, Segments, write
from ._locale import MESSAGES, TAG, AlternativeWording, MergedWording, built_in, merged_wording
from ._step_words import (
    Amount,
    Asked,
    CaseRecord,
    DecisionReason,
    Fact,
    Kind,
    Level,
    LiveCaseRecord,
    Nested,
    Offers,
    Plan,
    StepWords,
    Time,
    Verbatim,
    as_of_one_step,
    history_plans,
    next_plans,
    said_name,
    spoken,
)
from ._template import Slot, Template

if TYPE_CHECKING:
    from recovery_rules._case._case import Case

__all__ = ["Wording", "say"]

_REASONS: Final = {
    Outcome.DENIED: {
        "remedy.refused": "reason_refused",
        "cap.hard": "reason_over_cap",
        "escalation.path": "reason_no_level",
    },
    Outcome.ESCALATED: {"limit.authority": "reason_over_limit", "authority.kind": "reason_not_mine"},
}
"""The message that gives the reason, by outcome and the rule that decided (the last one that failed)."""


class _Untranslated(Exception):  # noqa: N818 - not an error: the signal to say the whole text in English
    """A message this locale leaves out (one added after the first release) is needed: the text that uses it is
    said in English, whole, so that no sentence mixes two languages."""


Value = Segments | tuple[Item, ...]
SlotValue = str | Sequence[Alternative]


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 21:
        return "evening"
    return "night"


def _left_unnamed(policy: Policy, names: Mapping[str, str]) -> Iterator[str]:
    """The levels and remedy kinds a locale with the ``names`` does not name, said in the policy's words (a
    level's title, or its name with spaces; a remedy kind's name with spaces): ``names.<name>``, the levels in
    the policy's order, then the remedy kinds in its vocabulary's."""
    for name in dict.fromkeys((*(level.name for level in policy.levels), *policy.vocabulary)):
        if name not in names:
            yield f"names.{name}"


def _left_to_the_catalog(catalog: Sequence[Alternative], words: Mapping[str, AlternativeWording]) -> Iterator[str]:
    """The catalog's alternatives, and directions, that a locale with the alternatives ``words`` does not word:
    ``alternatives.<id>`` and ``alternatives.<id>.directions``, in the catalog's order."""
    for alternative in catalog:
        said = words.get(alternative.id)
        if said is None:
            yield f"alternatives.{alternative.id}"
        elif alternative.directions and said.directions is None:
            yield f"alternatives.{alternative.id}.directions"


def _check_format(format: object) -> Format:
    if format not in FORMATS:
        raise InvalidInputError.at("wording", "format", "must be 'text', 'markdown' or 'html'")
    return format


def _check_name(customer_name: object, *, none: bool = True) -> str | None:
    """``customer_name`` checked: a string, or ``None`` (the complaint's name) where ``none`` allows it."""
    if not isinstance(customer_name, str) and (customer_name is not None or not none):
        allowed = "'' for none or None for the complaint's" if none else "'' for none"
        raise InvalidInputError.at(
            "wording",
            "customer_name",
            f"must be a string, the name the apology uses, such as 'Ann', or {allowed}, not {shown(customer_name)}",
        )
    if customer_name is not None and not (customer_name.isascii() or encodes(customer_name)):
        raise InvalidInputError.at(
            "wording", "customer_name", "contains a lone surrogate, which is not text (as a customer's name may not)"
        )
    return customer_name


_ANY_CASE: Final = re.compile(TAG.pattern, re.IGNORECASE)


class Wording:
    """What the employee says, in one locale, with one policy's wording and time zone.

    ``Wording(policy, "es")`` merges the built-in wording of the locale's
    language (if any) with the policy's own, from the most general tag to the
    most specific (``es``, then ``es-MX``); a tag is found whatever its case
    (``"EN-gb"`` speaks ``en-GB``).
    :class:`~recovery_rules.UnknownLocaleError` if neither speaks it.

    A locale of a language that is not built in may leave out the messages of
    a case's steps (``step_*``): a step whose messages it does not write is
    said in English, whole (:attr:`untranslated` lists them). It may also leave
    out the names of levels and remedy kinds (``names``), said in the policy's
    words, and catalog alternatives (``alternatives``): one it does not give in its
    words is said in the catalog's (:attr:`untranslated` lists those too).

    Immutable and safe to share between threads.
    """

    __slots__ = ("_customer", "_english", "_levels", "_merged", "_policy_name", "_untranslated", "_zone")

    _merged: MergedWording
    _zone: zoneinfo.ZoneInfo
    _policy_name: str
    _customer: str
    _levels: Mapping[str, str]
    _untranslated: tuple[str, ...]
    _english: Wording | None

    def __init__(self, policy: Policy, locale: str = "en") -> None:
        if not isinstance(policy, Policy):
            raise InvalidInputError.at("wording", "policy", "must be a Policy, such as Policy.from_file(path)")
        compiled_policy(policy)  # a policy changed past validation is checked now: PolicyError, not AttributeError
        # A tag is found whatever its case, as BCP 47 says ('EN-gb' is 'en-GB'); merged_wording compares folded.
        spoken = (
            merged_wording(policy.wording, locale) if isinstance(locale, str) and _ANY_CASE.fullmatch(locale) else None
        )
        if spoken is None:
            known = sorted({*built_in(), *policy.wording})
            raise UnknownLocaleError(locale, known)
        english = locale.split("-", maxsplit=1)[0].casefold() == "en"
        levels = {
            level.name: spoken.names.get(level.name) or _in_a_sentence(level.display_name, english)
            for level in policy.levels
        }
        left_out = _left_out(spoken)  # said (or rendered) in English
        messages = tuple(name for name in left_out if not MESSAGES[name].for_the_record)
        names = () if english else tuple(_left_unnamed(policy, spoken.names))
        catalog = () if english else tuple(_left_to_the_catalog(policy.catalog, spoken.alternatives))
        for name, value in (
            ("_merged", spoken),
            ("_zone", zoneinfo.ZoneInfo(policy.timezone)),
            ("_policy_name", policy.name),
            ("_customer", policy.customer_noun.replace("_", " ")),  # a word of the policy: walk_in is "walk in"
            ("_levels", MappingProxyType(levels)),
            ("_untranslated", messages + names + catalog),
            ("_english", Wording(policy, "en") if left_out else None),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Wording is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Wording is immutable")

    @property
    def locale(self) -> str:
        """The locale tag this wording speaks."""
        return self._merged.tag

    @property
    def untranslated(self) -> tuple[str, ...]:
        """What this locale leaves to English: first the messages (a case step or an outcome that uses one is
        said in English, whole), then the levels and remedy kinds it does not name in ``names``, which are said in the
        policy's words (a level's ``title``, or its name with spaces; a remedy kind's name with spaces):
        ``names.<name>``, the levels first, in the policy's order, then the remedy kinds (``remedy_kinds``,
        then ``refused_remedies``); then the catalog's alternatives it does not give in its own words, which
        are said in the catalog's: ``alternatives.<id>`` for one it does not word at all,
        ``alternatives.<id>.directions`` for one whose directions it leaves to the catalog's (a contact, a
        name and a number, is not listed).

        Empty for English (the policy's and the catalog's words are taken as its own) and for a locale that
        writes every message, names every level and remedy kind, and words every alternative; a policy's
        tests can assert that it is empty, to keep a locale complete.
        """
        return self._untranslated

    # -- public ---------------------------------------------------------------
    def say(self, resolution: Resolution, *, format: Format = "text", customer_name: str = "") -> str:
        """What the employee says about ``resolution``, in ``format`` (``"text"``, ``"markdown"``, ``"html"``).

        An apology first (by name when ``customer_name`` is given), then the
        outcome in positive form with the reason when something is refused,
        the callback time and the alternatives, and a thank-you. A manager's
        counter-offer (what :meth:`Case.manager_approves <recovery_rules.Case.manager_approves>` returns for
        less than asked: its trace ends with a ``counter_offer`` entry) is said
        as an offer the customer may accept (``step_deliver_offer``), as the
        case's own words deliver it, never as granted. A resolution alone cannot
        say it is an offer any other way (the amount asked is in that entry
        only): one a journal stored without the entry, before it existed, is
        said as an approval; word it from its case (``case.resolution``, which
        has the entry, or :meth:`say_next` and :meth:`say_history`).

        ``resolution`` is checked however it was made (``object.__setattr__`` reaches past a frozen model,
        ``model_construct`` does not validate): every field must hold what a Resolution holds when built (the
        outcome exactly an :class:`~recovery_rules.Outcome`, the alternatives a tuple of
        :class:`~recovery_rules.Alternative`, amounts :class:`~recovery_rules.Money`, times timezone-aware...)
        and keep its outcome's rules; else :class:`~recovery_rules.InvalidInputError` naming each field, and
        nothing is worded.
        """
        format = _check_format(format)
        resolution = checked_resolution(resolution, "wording")  # every field it reads, however it was made
        if resolution.policy != self._policy_name:
            raise InvalidInputError.at(
                "wording", "resolution", "was decided under another policy; word it with that policy"
            )
        _check_name(customer_name, none=False)
        try:
            return self._said(resolution, format, customer_name)
        except _Untranslated:
            if self._english is None:  # English has every message
                raise
            return self._english._said(resolution, format, customer_name)

    def _said(self, resolution: Resolution, format: Format, customer_name: str) -> str:
        number: Segments = (str(resolution.complaint_number),)
        blocks: list[Block] = []
        name = said_name(customer_name)
        if name:
            blocks += self._fill("apology_named", customer_name=(name,), complaint_number=number)
        else:
            blocks += self._fill("apology", complaint_number=number)
        asked = self._asked(resolution)
        offer = self._counter_offer(resolution)
        if offer is not None:  # approved as an offer: said as one, granted only once the customer accepts
            blocks += offer
        elif resolution.outcome is Outcome.APPROVED:
            blocks += self._fill("approved", **asked)
            if resolution.suggestions:
                blocks += self._fill("suggestions", suggestions=self._items(resolution.suggestions))
        elif resolution.outcome is Outcome.ESCALATED:
            if resolution.callback_by is None or resolution.escalate_to is None:
                raise InvalidInputError.at("wording", "resolution", "an escalation names escalate_to and callback_by")
            blocks += self._fill(
                "escalated",
                **asked,
                escalate_to=(self._level(resolution.escalate_to),),
                reason=self._reason(resolution),
                callback_time=self._time(resolution.callback_by, resolution.decided_at, ("callback_by", "decided_at")),
                alternatives=self._items(resolution.alternatives),
            )
        else:
            blocks += self._fill(
                "denied",
                **asked,
                delivered_by=(self._level(resolution.delivered_by),),
                reason=self._reason(resolution),
                alternatives=self._items(resolution.alternatives),
            )
        blocks += self._fill("thanks", complaint_number=number)
        return write(blocks, format)

    def say_next(
        self,
        case: Case,
        *,
        format: Format = "text",
        customer_name: str | None = None,
        now: dt.datetime | None = None,
        by: str | None = None,
        acting_for: str | None = None,
    ) -> tuple[StepWords, ...]:
        """What the employee says now in ``case``: the rest of the last step, then the next step's words.

        The rest of the last step is its reply, if it has one (the preferred
        solution restated after it was asked, an accepted offer confirmed);
        then come the words that take each step allowed next (the apology and
        the question to listen, the promise to escalate, the good news to
        deliver, a manager's reason and two alternatives, the final offer, the
        report, the thanks). Each :class:`StepWords` names its step and who
        says it (``version`` is set for the last step's reply, ``None`` for a
        step not taken yet). Empty while the next move is someone else's: a
        manager deciding, the customer choosing between offers, or a case
        thanked or closed.

        ``customer_name`` is the name the apology uses (the complaint's
        customer name by default; ``""`` for none); ``now`` is when the words
        are said (the time of the last recorded step by default), for the
        callback time. ``by`` is the level of the manager who will explain a denial, as
        :meth:`Case.explain_denial <recovery_rules.Case.explain_denial>` takes it (by default the one it
        chooses): the alternatives named are the ones that step would offer now (:meth:`Case.offers
        <recovery_rules.Case.offers>`), and a level below ``denials_delivered_by`` is refused as the step
        refuses it (:class:`~recovery_rules.AuthorityError`). ``acting_for`` names the absent level a delegate
        ``by`` explains it for, as the step takes it: the alternatives named are then the absent level's.
        """
        format = _check_format(format)
        record = self._check_case(case)
        if now is not None and (not isinstance(now, dt.datetime) or not is_aware(now)):
            raise InvalidInputError.at("wording", "now", AWARE)
        if by is not None:
            try:  # a level's name; anything else is refused as UnknownLevelError says it, with the levels to use
                by = record.policy.level(by).name
            except UnknownLevelError as error:
                raise UnknownLevelError(error.name, error.known, location="by") from None
        if acting_for is not None:
            try:
                acting_for = record.policy.level(acting_for).name
            except UnknownLevelError as error:
                raise UnknownLevelError(error.name, error.known, location="acting_for") from None
        with as_of_one_step(record):  # its history, allowed steps and offers at one step, as another thread steps it
            if isinstance(record, LiveCaseRecord):  # what the case's offers() reads: the step it is at, not a stale one
                record.refresh()
            plans = next_plans(record, _check_name(customer_name), now, by, acting_for)
        return tuple(self._words(plan, format) for plan in plans)

    def say_history(
        self, case: Case, *, format: Format = "text", customer_name: str | None = None
    ) -> tuple[StepWords, ...]:
        """What was said at each recorded step of ``case``: one :class:`StepWords` per event, in order.

        ``result[i]`` belongs to ``case.history[i]`` (its ``version`` is the
        event's); its ``text`` is empty for a step that says nothing to the
        customer (deciding, a manager's decision, the customer declining,
        closing). Times are said as at each step: a callback time relative to
        when it was promised.

        A customer's field erased from the journal (it reads back as ``"[erased]"``) is never said, here or in
        any of the words: an erased name as no name (as ``customer_name=""``), an erased manager's reason or
        request as an empty slot.
        """
        format = _check_format(format)
        record = self._check_case(case)
        with as_of_one_step(record):
            plans = history_plans(record, _check_name(customer_name))
        return tuple(self._words(plan, format) for plan in plans)

    def render(self, message: str, /, *, format: Format = "text", **slots: SlotValue) -> str:
        """One message, with its slots filled from ``slots``: text for most, alternatives for lists.

        For wording a step of a case, say: ``render("apology")``, or
        ``render("denied", remedy="refund", reason="...", alternatives=resolution.alternatives)``.
        Every slot the template uses must be given; a slot the message does not have is refused. A message this
        locale leaves out (one :attr:`untranslated` lists) is rendered in English.
        """
        format = _check_format(format)
        spec = MESSAGES.get(message) if isinstance(message, str) else None
        if spec is None:
            hint = Suggestions(MESSAGES).did_you_mean(message) or "the guide Customize the wording lists every message"
            raise InvalidInputError.at("wording", "message", f"is not a message; {hint}")
        speaking = self if message in self._merged.templates else self._english or self  # left out: in English
        values: dict[str, Value] = {}
        for name, value in slots.items():
            if name not in spec.slots:
                raise InvalidInputError.at(
                    "wording", name, f"is not a slot of {message!r}; its slots are {', '.join(spec.slots)}"
                )
            if name in spec.lists:
                items = tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else None
                if items is None or not all(isinstance(item, Alternative) for item in items):
                    raise InvalidInputError.at("wording", name, "must be a sequence of Alternative")
                if name in spec.one_item and len(items) != 1:
                    raise InvalidInputError.at("wording", name, f"must be one Alternative, not {len(items)}")
                if not items and name in spec.required:
                    raise InvalidInputError.at("wording", name, f"must hold an Alternative: {spec.required[name]}")
                values[name] = speaking._items(items)  # in the words of the locale that says the message
            elif isinstance(value, str):
                if not (value.isascii() or encodes(value)):
                    raise InvalidInputError.at("wording", name, "contains a lone surrogate, which is not text")
                values[name] = (str.__str__(value),)  # its text: a subclass's replace or __str__ is never called
            else:
                raise InvalidInputError.at("wording", name, "must be a string")
        missing = sorted(speaking._template(message).slots - values.keys())
        if missing:
            raise InvalidInputError(
                "wording", [Problem(name, f"is used by the {message!r} template; pass it") for name in missing]
            )
        return write(speaking._fill(message, **values), format)

    def money(self, amount: Money) -> str:
        """``amount`` as this locale writes it: ``$2,000.00``, ``2.000,00 US$``."""
        checked, problems = read_money(amount, "amount")
        if checked is None:
            raise InvalidInputError("amount", problems)
        return "".join(str(part) for part in self._money(checked))

    def time(self, when: dt.datetime, *, now: dt.datetime) -> str:
        """``when`` as said at ``now``, in the policy's time zone: ``3:00 this afternoon``.

        A time on a later day than tomorrow, or on an earlier day than today (an overdue callback's; an hour of
        the night it is now, before 5:00, counts as tonight), is said with its day: ``10:00 in the morning on
        Sunday, December 6``.
        """
        for name, value in (("when", when), ("now", now)):
            if not isinstance(value, dt.datetime) or not is_aware(value):
                raise InvalidInputError.at("wording", name, AWARE)
        return "".join(str(part) for part in self._time(when, now))

    # -- the steps of a case ---------------------------------------------------------
    def _check_case(self, case: object) -> CaseRecord:
        history = getattr(case, "history", None)
        if not isinstance(case, CaseRecord) or not isinstance(history, tuple) or not history:
            raise InvalidInputError.at("wording", "case", "must be a Case (Case.open or Case.load)")
        if not all(isinstance(event, Event) for event in history):
            raise InvalidInputError.at("wording", "case", "must be a Case (Case.open or Case.load)")
        if case.policy.name != self._policy_name:
            raise InvalidInputError.at("wording", "case", "follows another policy; word it with that policy")
        return case

    def _words(self, plan: Plan, format: Format) -> StepWords:
        """A step's words, in this locale; in English if the locale leaves one of its messages out."""
        speaking = self
        if self._english is not None and any(message not in self._merged.templates for message in plan.messages()):
            speaking = self._english
        try:
            blocks = speaking._blocks(plan)
        except _Untranslated:  # a message said inside a fact (the reason of a decision, its cap's window)
            if self._english is None:  # English has every message
                raise
            blocks = self._english._blocks(plan)
        return StepWords(step=plan.step, speaker=plan.speaker, text=write(blocks, format), version=plan.version)

    def _blocks(self, plan: Plan) -> list[Block]:
        blocks: list[Block] = []
        for line in plan.lines:
            blocks += self._fill(line.message, **{slot: self._fact(fact) for slot, fact in line.facts.items()})
        return blocks

    def _fact(self, fact: Fact) -> Value:
        """What fills a slot, said in this locale."""
        match fact:
            case Verbatim(value):
                return (value,)
            case Level(name):
                return (self._level(name),)
            case Kind(name):
                return (self._word(name),)
            case Amount(money):
                return self._money(money)
            case Asked(remedy):
                return self._phrase(remedy)
            case Time(when, now):
                return self._time(when, now, ("callback_by", "now"))
            case Offers(alternatives):
                return self._items(alternatives)
            case DecisionReason(resolution):
                return self._reason(resolution)
            case Nested(message, facts):
                return self._inline(message, **{slot: self._fact(inner) for slot, inner in facts.items()})

    # -- the pieces -------------------------------------------------------------
    def _template(self, message: str) -> Template:
        template = self._merged.templates.get(message)
        if template is None:  # only a message a locale may leave out: every other one is checked at load
            raise _Untranslated(message)
        return template

    def _fill(self, message: str, **values: Value) -> list[Block]:
        spec = MESSAGES[message]
        blocks: list[Block] = []
        for line in self._template(message).lines:
            slots = [part.name for part in line if isinstance(part, Slot)]
            if len(slots) == 1 and slots[0] in spec.lists:
                items = values[slots[0]]
                numbered = slots[0] not in spec.one_item
                blocks.append(ItemList(items, numbered))  # type: ignore[arg-type]  # list slots hold items
                continue
            segments = self._segments(line, values)
            if any(isinstance(segment, Link) or segment.strip() for segment in segments):
                blocks.append(Paragraph(segments))
        return blocks

    def _inline(self, message: str, **values: Value) -> Segments:
        """A message used inside another one: its lines joined by spaces."""
        out: list[str | Link] = []
        for line in self._template(message).lines:
            segments = self._segments(line, values)
            if segments:
                out += [" "] if out else []
                out += segments
        return tuple(out)

    @staticmethod
    def _segments(line: tuple[str | Slot, ...], values: Mapping[str, Value]) -> Segments:
        """A line of a template with its slots filled: a field erased from the record is left out (:func:`spoken`),
        and a slot that says nothing at the end of the line, or before a space, leaves no space behind."""
        out: list[str | Link] = []
        last = len(line) - 1
        for i, part in enumerate(line):
            if isinstance(part, Slot):
                filled: Segments = values[part.name]  # type: ignore[assignment]  # inline slots hold segments
                said = [spoken(value) if isinstance(value, str) else value for value in filled]
                said = [value for value in said if isinstance(value, Link) or value]
                out += said
                after = line[i + 1] if i < last else " "
                if not said and isinstance(after, str) and after[:1].isspace() and out and isinstance(out[-1], str):
                    out[-1] = out[-1].rstrip()
                continue
            text = part.lstrip() if i == 0 else part
            out.append(text.rstrip() if i == last else text)
        return tuple(out)

    def _word(self, word: str) -> str:
        return self._merged.names.get(word) or word.replace("_", " ")

    def _level(self, name: str) -> str:
        return self._levels.get(name) or self._word(name)

    def _phrase(self, remedy: Remedy) -> Segments:
        """What was asked for, said whole: ``$250.00 refund``."""
        kind = (self._word(remedy.kind),)
        if remedy.amount.is_zero:
            return self._inline("remedy_free", kind=kind)
        return self._inline("remedy", kind=kind, amount=self._money(remedy.amount))

    def _asked(self, resolution: Resolution) -> dict[str, Value]:
        remedy = resolution.remedy
        return {
            "remedy": self._phrase(remedy),
            "remedy_kind": (self._word(remedy.kind),),
            "amount": self._money(remedy.amount),
            "request": (remedy.description,),
            "employee": (self._level(resolution.acting_level),),
            "complaint_number": (str(resolution.complaint_number),),
        }

    def _counter_offer(self, resolution: Resolution) -> list[Block] | None:
        """A manager's counter-offer (``Case.manager_approves`` with less than asked: its trace's
        ``counter_offer`` entry), as the case's words deliver it (``step_deliver_offer``), asking whether the
        customer accepts it; ``None`` for any other resolution."""
        entry = next((entry for entry in resolution.trace if entry.rule == "counter_offer"), None)
        if entry is None or resolution.outcome is not Outcome.APPROVED:
            return None
        offered, asked = resolution.remedy, entry.figures.get("asked")
        if asked is None or asked.currency != offered.amount.currency or not offered.amount < asked:
            raise InvalidInputError.at(
                "wording",
                "resolution",
                "has a counter_offer trace entry without the amount asked (figures['asked'], more than the offer, "
                "in its currency); word the Resolution Case.manager_approves returned",
            )
        speaking = self if "step_deliver_offer" in self._merged.templates else self._english or self
        values = speaking._asked(resolution)
        values.update(
            remedy=speaking._phrase(offered.model_copy(update={"amount": asked})),  # what was asked
            amount=speaking._money(asked),
            employee=(speaking._level(resolution.delivered_by),),  # the employee who delivers it, as in a case
        )
        approver = resolution.authorized_by or resolution.acting_level
        return speaking._fill(
            "step_deliver_offer", **values, approved_by=(speaking._level(approver),), offer=speaking._phrase(offered)
        )

    def _reason(self, resolution: Resolution) -> Segments:
        failed = [entry for entry in resolution.trace if not entry.passed]
        decisive = failed[-1] if failed else None
        message = _REASONS.get(resolution.outcome, {}).get(decisive.rule) if decisive else None
        asked = self._asked(resolution)
        values: dict[str, Value] = {"remedy": asked["remedy"], "remedy_kind": asked["remedy_kind"]}
        if message is not None and decisive is not None:
            figures = decisive.figures
            values["total"] = self._money(figures.get("total", resolution.total))
            values["escalate_to"] = (self._level(resolution.escalate_to or ""),)
            values["customer"] = (self._customer,)
            for figure in ("cap", "limit"):
                if figure in figures:
                    values[figure] = self._money(figures[figure])
            window = decisive.window
            if message == "reason_no_level" and resolution.grantable_by is not None:  # a level below may grant it
                message = "reason_no_level_above"
            if message == "reason_over_cap" and window is not None:  # stacked caps: which cap it was
                message, values["window"] = "reason_over_cap_window", self._window(window)
            needs = {"reason_over_cap": "cap", "reason_over_cap_window": "cap", "reason_over_limit": "limit"}.get(
                message
            )
            if needs is None or needs in values:
                return self._inline(message, **values)
        return self._inline("reason_other", reason=(resolution.reason,))

    def _items(self, alternatives: Sequence[Alternative]) -> tuple[Item, ...]:
        items = []
        for alternative in alternatives:
            message = "alternative_elsewhere" if alternative.refers_elsewhere else "alternative"
            words = self._merged.alternatives.get(alternative.id)
            description = alternative.description if words is None else words.description
            contact = alternative.contact if words is None or words.contact is None else words.contact
            directions = alternative.directions if words is None or words.directions is None else words.directions
            details = []
            if contact and spoken(contact).strip():  # white space is no contact: nothing to say, no empty line
                details.append(self._inline("contact", contact=(contact,)))
            if directions and spoken(directions).strip():
                details.append(self._inline("directions", directions=(directions,)))
            if alternative.url:
                details.append(self._inline("link", url=(Link(alternative.url),)))
            items.append(Item(self._inline(message, description=(description,)), tuple(details)))
        return tuple(items)

    def _window(self, window: Window) -> Segments:
        """A cap's window in words: for one incident, in one day, in any 30 days (or 36 hours, or 90 minutes)."""
        if window.kind == "incident":
            return self._inline("window_per_incident")
        if window.kind == "day" or window.duration is None:
            return self._inline("window_per_day")
        minutes = int(window.duration.total_seconds() // 60)
        if minutes % (24 * 60) == 0 and minutes > 24 * 60:
            return self._inline("window_in_any_days", count=(self._count(minutes // (24 * 60)),))
        if minutes % 60 == 0 and minutes > 60:
            return self._inline("window_in_any_hours", count=(self._count(minutes // 60),))
        message = "window_in_any_minute" if minutes == 1 else "window_in_any_minutes"
        return self._inline(message, count=(self._count(minutes),))

    def _count(self, count: int) -> str:
        """A whole number grouped with the locale's ``group_separator``, as its amounts are: ``1.500`` in German."""
        return f"{count:,}".replace(",", self._merged.group_separator)

    def _money(self, money: Money) -> Segments:
        places = MINOR_UNITS[money.currency]
        digits = f"{money.amount.copy_abs():,.{places}f}"  # "," and "." here never depend on the process locale
        digits = digits.replace(",", "\x00").replace(".", self._merged.decimal_mark)
        digits = digits.replace("\x00", self._merged.group_separator)
        sign: Segments = ("-",) if money.amount < 0 else ()  # before the whole amount, symbol too: -$5.00
        symbol = SYMBOLS.get(money.currency)
        currency = (money.currency,)
        if symbol is None:
            return sign + self._inline("money_code", amount=(digits,), currency=currency)
        return sign + self._inline("money", amount=(digits,), symbol=(symbol,), currency=currency)

    def _time(self, when: dt.datetime, now: dt.datetime, names: tuple[str, str] = ("when", "now")) -> Segments:
        """``when`` said at ``now``; seconds are dropped, so the promise is never later than the deadline.

        Both are instants, shown on the policy's wall clock (``names``: the fields they came from, for an error).
        """
        local = wall_clock(when, self._zone, field=names[0])
        present = wall_clock(now, self._zone, field=names[1])
        today = present.date()
        # Until 5:00 in the morning, it is still "tonight" of the day before.
        evening_of = local.date() - dt.timedelta(days=1) if local.hour < 5 else local.date()
        tonight_of = today - dt.timedelta(days=1) if present.hour < 5 else today
        # A night's time is counted from the night it is now ("tonight" is one night), a day's from today's date.
        part = _part_of_day(local.hour)
        days = (evening_of - tonight_of).days if part == "night" else (evening_of - today).days
        # An earlier day (an overdue callback's): said with its date, as a later one. A night's time is earlier than
        # tonight's night; a day's time earlier than today's date (at 2:00, yesterday afternoon is past, not to come).
        earlier = evening_of < (tonight_of if part == "night" else today)
        if self._merged.clock == "12h":
            clock = f"{local.hour % 12 or 12}:{local.minute:02d}"
        else:
            clock = f"{local.hour:02d}:{local.minute:02d}"
        time = (clock,)
        if days <= 0 and not earlier:
            return self._inline(f"time_today_{part}", time=time)
        if days == 1:
            return self._inline(f"time_tomorrow_{part}", time=time)
        weekdays = self._merged.weekdays or ()
        months = self._merged.months or ()
        return self._inline(
            f"time_later_{part}",
            time=time,
            weekday=(weekdays[local.weekday()],),
            day=(str(local.day),),
            month=(months[local.month - 1],),
            year=(str(local.year),),
        )


def _left_out(spoken: MergedWording) -> tuple[str, ...]:
    """The messages the locale leaves out of those it may leave out (a step's, a later one, a decision's
    ``explain_*``): such a message is said (or rendered) in English."""
    return tuple(name for name, spec in MESSAGES.items() if spec.english_fallback and name not in spoken.templates)


def _in_a_sentence(title: str, english: bool) -> str:
    """``Duty manager`` -> ``duty manager`` in English, where titles are not capitalized mid-sentence;
    ``VIP host`` stays as it is."""
    if english and len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def say(
    resolution: Resolution,
    policy: Policy,
    *,
    locale: str = "en",
    format: Format = "text",
    customer_name: str = "",
) -> str:
    """What the employee says about ``resolution``: ``Wording(policy, locale).say(resolution, ...)``.

    The resolution is checked however it was made (see :meth:`Wording.say`): one changed behind its back is
    refused with :class:`~recovery_rules.InvalidInputError` naming each field, and nothing is worded.
    """
    return Wording(policy, locale).say(resolution, format=format, customer_name=customer_name)


show_loaded(__name__, globals())  # its exported names are recovery_rules.X from now on
