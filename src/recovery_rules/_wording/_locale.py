"""The wording of a locale, as the built-in files and a policy's ``wording`` table write it.

A locale's wording is a set of named *messages*, each a template (see
:mod:`._template`) with the slots :data:`MESSAGES` lists, plus a few settings
(the clock, weekday and month names, number separators) and ``names``: how to
say the policy's level names and remedy kinds. English is built in
(``locales/en.toml``); a policy overrides any message per locale, or adds a
locale by writing every message (the case steps' ``step_*`` messages, the
messages added after the first release and the decisions' ``explain_*`` ones
may be left out: such a message is then said in English, so a locale written
before they existed keeps loading).

Everything is checked when the policy loads, so saying a resolution never
fails on wording: a template that is not text with named slots, uses a slot
its message does not have, leaves out a required one (the callback time of an
escalation, the alternatives and the reason of a denial), puts a list anywhere
but on a line of its own, or says what turns a customer away (see :mod:`._phrases`)
is refused with its location.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Final, Literal, Self

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from recovery_rules._values._base import (
    Identifier,
    ReadOnly,
    ReadOnlyDict,
    RecoveryModel,
    Suggestions,
    Text,
    Word,
    located_problems,
)
from recovery_rules.exceptions import Problem

from ._phrases import forbidden_phrases
from ._template import Slot, Template, TemplateSyntaxError, parse_template

__all__ = [
    "MESSAGES",
    "TAG",
    "AlternativeWording",
    "LocaleTag",
    "LocaleWording",
    "MergedWording",
    "MessageSpec",
    "built_in",
    "merged_wording",
    "wording_problems",
]


# -- the messages ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """What one message is for, the slots it may use, and the ones it must."""

    about: str
    slots: tuple[str, ...]
    required: Mapping[str, str] = field(default_factory=dict)
    """Each required slot, with why it is required."""
    lists: frozenset[str] = frozenset()
    """The slots that are lists: each must stand on a line of its own."""
    one_item: frozenset[str] = frozenset()
    """The list slots that hold a single offer, written as one bulleted item rather than a numbered list."""
    english_fallback: bool = False
    """Whether a locale of another language may leave the message out: what it is part of is then said in
    English (the case steps' messages, and every message added after the first release)."""
    for_the_record: bool = False
    """A finding of a decision (``explain_*``): written by the engine into ``Resolution.reason`` and the
    trace, in English; the wording never says it, so a locale that leaves it out misses nothing."""


_ASKED: Final = ("remedy", "remedy_kind", "amount", "request", "employee", "complaint_number")
_PLAN_B: Final = "the customer must hear what we CAN do right now (Plan B)"
_TIME: Final = {"time": "it is the time itself"}


def _time_messages() -> dict[str, MessageSpec]:
    specs = {}
    for part in ("morning", "afternoon", "evening", "night"):
        specs[f"time_today_{part}"] = MessageSpec(f"a callback time today, in the {part}", ("time",), _TIME)
        specs[f"time_tomorrow_{part}"] = MessageSpec(f"a callback time tomorrow, in the {part}", ("time",), _TIME)
        specs[f"time_later_{part}"] = MessageSpec(
            f"a callback time two or more days ahead, in the {part}",
            ("time", "weekday", "day", "month", "year"),
            {**_TIME, "day": "the customer must hear which day", "month": "the customer must hear which day"},
        )
    return specs


def _step_messages() -> dict[str, MessageSpec]:
    """The words for the steps of a case (the flow path, in LAST's order, with the phrases that work)."""

    def step(about: str, slots: tuple[str, ...], required: Mapping[str, str] | None = None, **more: Any) -> MessageSpec:
        return MessageSpec(about, slots, required or {}, english_fallback=True, **more)

    number = ("complaint_number",)
    return {
        "step_listen": step("listen: after the apology, ask to hear the whole grievance", number),
        "step_apologize": step("apologize: validate the customer's feelings", number),
        "step_ask": step("ask the preferred solution: the question", number),
        "step_restate": step(
            "ask the preferred solution: the answer restated, asking if it is right",
            _ASKED,
            {"remedy": "the customer must hear what they asked for, to say whether it is right"},
        ),
        "step_escalate": step(
            "escalate: above the employee's authority, proposed to a manager, with the promised callback and "
            "the options the employee can authorize right now",
            (*_ASKED, "escalate_to", "reason", "callback_time", "alternatives"),
            {"callback_time": "the customer must hear when they will hear back"},
            lists=frozenset({"alternatives"}),
        ),
        "step_deliver": step(
            "deliver: the good news, by the employee who approved it",
            _ASKED,
            {"remedy": "the customer must hear what they get"},
        ),
        "step_deliver_approval": step(
            "deliver: a manager's approval, delivered by the employee",
            (*_ASKED, "approved_by"),
            {"remedy": "the customer must hear what they get"},
        ),
        "step_deliver_offer": step(
            "deliver: a manager's counter-offer (less than asked), delivered by the employee, asking if it is accepted",
            (*_ASKED, "approved_by", "offer"),
            {"offer": "the customer must hear what they are offered"},
        ),
        "step_accept_offer": step(
            "a counter-offer accepted",
            ("offer", "complaint_number"),
            {"offer": "the customer must hear what they get"},
        ),
        "step_decline_offer": step(
            "a counter-offer declined: understanding, and the manager who explains and offers alternatives next",
            ("delivered_by", "complaint_number"),
        ),
        "step_offer_reason": step(
            "explain a declined counter-offer that was the most the manager could approve, as a sentence",
            ("offered_by", "offer_amount"),
            {"offer_amount": "it is the reason"},
        ),
        "step_offer_declined": step(
            "explain a declined counter-offer the manager chose (less than they could approve), as a sentence",
            ("offered_by", "offer_amount"),
            {"offer_amount": "it is the reason"},
        ),
        "step_explain_denial": step(
            "explain a denial: a manager gives the reason and two alternatives",
            (*_ASKED, "delivered_by", "reason", "alternatives"),
            {"reason": "the customer must leave knowing the reason why", "alternatives": _PLAN_B},
            lists=frozenset({"alternatives"}),
        ),
        "step_reason": step(
            "explain a denial: the rules' reason (a reason_* message) as a sentence",
            ("reason",),
            {"reason": "it is the reason"},
        ),
        "step_accept": step(
            "an alternative or the final offer accepted",
            ("accepted", "complaint_number"),
            {"accepted": "the customer must hear what they get"},
            lists=frozenset({"accepted"}),
            one_item=frozenset({"accepted"}),
        ),
        "step_final_offer": step(
            "make the final back-up offer",
            ("offer", "complaint_number"),
            {"offer": "it is the offer"},
            lists=frozenset({"offer"}),
            one_item=frozenset({"offer"}),
        ),
        "step_report": step(
            "write the report: sorry it could not be resolved, a manager will call personally",
            ("report_to", "complaint_number"),
            {"report_to": "the customer must hear who will call them"},
        ),
        "step_report_call_by": step(
            "write the report, when the policy promises the manager's call by a time (personal_call_within)",
            ("report_to", "callback_time", "complaint_number"),
            {
                "report_to": "the customer must hear who will call them",
                "callback_time": "the customer must hear when the manager will call",
            },
        ),
        "step_manager_calls": step(
            "the manager's personal call after the report: who calls, sorry, the complaint heard, what next",
            ("caller", "complaint_number"),
            {"caller": "the customer must hear who is calling"},
        ),
    }


def _explanation_messages() -> dict[str, MessageSpec]:
    """The words of a decision's trace and reason (``Resolution.reason``, ``TraceEntry.message``)."""

    def explain(about: str, *slots: str) -> MessageSpec:
        required = dict.fromkeys(slots, "it is what the rule compared")
        return MessageSpec(about, slots, required, english_fallback=True, for_the_record=True)

    return {
        "explain_cap": explain("the hard cap, named in a finding", "customer", "amount"),
        "explain_cap_window": explain(
            "a cap of a policy with several, named in a finding with its window", "customer", "amount", "window"
        ),
        "explain_cap_labelled": explain("a cap the policy gives a label, named in a finding", "label", "amount"),
        "explain_per_incident": explain("the window of a cap counting one incident's grants"),
        "explain_per_day": explain("the window of a cap counting a calendar day's grants"),
        "explain_in_any": explain("the window of a cap counting a rolling period's grants", "span"),
        "explain_authority": explain("a level's authority, named in a finding", "level", "amount"),
        "explain_tier_authority": MessageSpec(
            "a level's authority for a customer tier, named in a finding",
            ("level", "amount", "tier", "customer", "a_customer"),
            dict.fromkeys(("level", "amount", "tier"), "it is what the rule compared"),
            english_fallback=True,
            for_the_record=True,
        ),
        "explain_asked": explain("the total, when nothing was granted before", "total"),
        "explain_asked_with_granted": explain("the total, with what was granted before", "total", "granted", "asked"),
        "explain_offered": explain("the total of a counter-offer, when nothing was granted before", "total"),
        "explain_offered_with_granted": explain(
            "the total of a counter-offer, with what was granted before", "total", "granted", "offer"
        ),
        "explain_unlisted": explain("a category the policy does not list (a warning)"),
        "explain_unlisted_closest": explain("a category the policy does not list, with the closest it does", "closest"),
        "explain_grantable": explain("the remedy kind is one the policy grants", "remedy_kind"),
        "explain_refused": explain("the remedy kind is one the policy never grants", "remedy_kind"),
        "explain_within_cap": explain("the total is within the hard cap", "totals", "cap"),
        "explain_over_cap": explain("the total is over the hard cap (also the reason of that denial)", "totals", "cap"),
        "explain_within_authority": explain(
            "the total is within the acting level's authority (also the reason of that approval)", "totals", "authority"
        ),
        "explain_over_authority": explain("the total is over the acting level's authority", "totals", "authority"),
        "explain_no_limit": explain("the acting level has no limit of its own (also the reason)", "level", "customer"),
        "explain_no_limit_uncapped": explain(
            "the acting level has no limit of its own, in a policy without any cap (also the reason)", "level"
        ),
        "explain_not_mine": explain("the acting level may not grant this kind of remedy", "level", "remedy_kind"),
        "explain_no_level": explain("no level above the acting one can grant the total", "level", "total"),
        "explain_escalation": explain(
            "the level the case goes to, and the promised callback", "escalate_to", "total", "customer", "within"
        ),
        "explain_good_news": explain("who delivers an approval", "level"),
        "explain_good_news_handed": explain(
            "who delivers an approval a higher level made (the escalated case's employee)", "approver", "level"
        ),
        "explain_bad_news": explain("who delivers a denial", "level"),
        "explain_escalates": explain("who explains an escalation", "level", "escalate_to"),
        "explain_alternatives": explain("the Plan B offered, within what is left", "count", "level", "left"),
        "explain_alternatives_unlimited": explain("the Plan B offered, by a level with no limit", "count", "level"),
        "explain_alternatives_capped": explain(
            "the Plan B offered, within what is left under the cap that bounds it (policies with several caps)",
            "count",
            "level",
            "left",
            "cap",
        ),
        "explain_suggestions": explain("the extra-mile suggestions offered", "count"),
        "explain_suggestion": explain("the one extra-mile suggestion offered", "count"),
        "explain_reason_refused": explain("the reason of a denial: the remedy kind is refused", "remedy_kind"),
        "explain_reason_no_level": explain("the reason of a denial: no level may grant it", "total", "remedy_kind"),
        "explain_reason_no_level_most": explain(
            "the reason of a denial: no level may grant it, with the most any may",
            "total",
            "remedy_kind",
            "customer",
            "most",
        ),
        "explain_reason_no_level_above": explain(
            "the reason of a denial: the acting level may not grant the kind, no level above may, a level below may",
            "level",
            "remedy_kind",
            "total",
            "grantable_by",
        ),
        "explain_reason_over_authority": explain(
            "the reason of an escalation: over the acting level's authority", "totals", "authority", "escalate_to"
        ),
        "explain_reason_not_mine": explain(
            "the reason of an escalation: the acting level may not grant the kind",
            "level",
            "remedy_kind",
            "escalate_to",
        ),
        "explain_counter_offer": explain(
            "a manager's counter-offer, less than asked: granted only once the customer accepts it (also its reason)",
            "offer",
            "asked",
            "customer",
        ),
        "explain_counter_offer_accepted": explain(
            "a manager's counter-offer the customer accepted: granted now (also its reason)",
            "offer",
            "asked",
            "customer",
        ),
        **{
            f"explain_{unit}": explain(f"a callback time span, in {unit}", "count")
            for unit in ("days", "day", "hours", "hour", "minutes", "minute")
        },
    }


MESSAGES: Final[Mapping[str, MessageSpec]] = MappingProxyType(
    {
        "apology": MessageSpec("the first words, for every outcome", ("complaint_number",)),
        "apology_named": MessageSpec(
            "the first words, when the customer's name is known",
            ("customer_name", "complaint_number"),
            {"customer_name": "it is the apology used when the customer's name is known"},
        ),
        "thanks": MessageSpec("the last words, for every outcome", ("complaint_number",)),
        "approved": MessageSpec(
            "an approval, delivered by the employee", _ASKED, {"remedy": "the customer must hear what they get"}
        ),
        "suggestions": MessageSpec(
            "an approval's extra-mile suggestions",
            ("suggestions",),
            {"suggestions": "it is the list of suggestions"},
            frozenset({"suggestions"}),
        ),
        "escalated": MessageSpec(
            "an escalation, with the promised callback and what the employee can do right now",
            (*_ASKED, "escalate_to", "reason", "callback_time", "alternatives"),
            {"callback_time": "the customer must hear when they will hear back", "alternatives": _PLAN_B},
            frozenset({"alternatives"}),
        ),
        "denied": MessageSpec(
            "a denial, in positive form: we can't do that, but we CAN do this",
            (*_ASKED, "delivered_by", "reason", "alternatives"),
            {"reason": "the customer must leave knowing the reason why", "alternatives": _PLAN_B},
            frozenset({"alternatives"}),
        ),
        "reason_refused": MessageSpec("why: the remedy is one the policy never grants", ("remedy", "remedy_kind")),
        "reason_over_cap": MessageSpec(
            "why: the total would be over the per-customer cap (``customer``: the policy's ``customer_noun``)",
            ("remedy", "remedy_kind", "total", "cap", "customer"),
        ),
        "reason_over_cap_window": MessageSpec(
            "why: the total would be over a cap of a policy with caps of several windows, said with its window "
            "(``window``: one of the ``window_*`` messages)",
            ("remedy", "remedy_kind", "total", "cap", "customer", "window"),
            {"window": "the customer must hear which cap it is: per incident, per day, in any 30 days"},
            english_fallback=True,
        ),
        "window_per_incident": MessageSpec("a cap's window: one incident", (), english_fallback=True),
        "window_per_day": MessageSpec("a cap's window: one calendar day", (), english_fallback=True),
        "window_in_any_days": MessageSpec(
            "a cap's rolling window of whole days", ("count",), {"count": "it is how long"}, english_fallback=True
        ),
        "window_in_any_hours": MessageSpec(
            "a cap's rolling window of whole hours", ("count",), {"count": "it is how long"}, english_fallback=True
        ),
        "window_in_any_minutes": MessageSpec(
            "a cap's rolling window in minutes", ("count",), {"count": "it is how long"}, english_fallback=True
        ),
        "window_in_any_minute": MessageSpec(
            "a cap's rolling window of one minute", ("count",), {"count": "it is how long"}, english_fallback=True
        ),
        "reason_no_level": MessageSpec("why: no level may grant the total", ("remedy", "remedy_kind", "total")),
        "reason_no_level_above": MessageSpec(
            "why: the employee may not grant this kind of remedy, and no level above may (a level below may)",
            ("remedy", "remedy_kind", "total"),
            english_fallback=True,
        ),
        "reason_over_limit": MessageSpec(
            "why: the total is over the employee's authority", ("remedy", "remedy_kind", "total", "limit")
        ),
        "reason_not_mine": MessageSpec(
            "why: the employee may not grant this kind of remedy", ("remedy", "remedy_kind", "escalate_to")
        ),
        "reason_other": MessageSpec(
            "why, for a rule with no message of its own: the resolution's reason",
            ("reason",),
            {"reason": "it is the reason"},
        ),
        "alternative": MessageSpec(
            "an alternative in a list",
            ("description",),
            {"description": "the customer must hear what the alternative is"},
        ),
        "alternative_elsewhere": MessageSpec(
            "an alternative at another business", ("description",), {"description": "the customer must hear what it is"}
        ),
        "contact": MessageSpec(
            "whom to contact for an alternative", ("contact",), {"contact": "it is what the customer acts on"}
        ),
        "directions": MessageSpec(
            "how to get to an alternative", ("directions",), {"directions": "they are what the customer acts on"}
        ),
        "link": MessageSpec("an alternative's web address", ("url",), {"url": "it is what the customer acts on"}),
        "remedy": MessageSpec(
            "what was asked for",
            ("kind", "amount"),
            {"kind": "the customer must hear what they asked for", "amount": "the customer must hear how much"},
        ),
        "remedy_free": MessageSpec(
            "what was asked for, when it has no amount",
            ("kind",),
            {"kind": "the customer must hear what they asked for"},
        ),
        "money": MessageSpec(
            "an amount in a currency with a symbol", ("amount", "symbol", "currency"), {"amount": "it is the amount"}
        ),
        "money_code": MessageSpec(
            "an amount in a currency without a symbol", ("amount", "currency"), {"amount": "it is the amount"}
        ),
        **_time_messages(),
        **_step_messages(),
        **_explanation_messages(),
    }
)
"""Every message, by name."""

# -- one locale's wording, as a policy or the built-in files write it -----------------------------

TAG: Final = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")


def _locale_tag(value: str) -> str:
    if not TAG.fullmatch(value):
        raise ValueError("must be a language tag such as 'en', 'es', 'de' or 'en-GB'")
    return value


LocaleTag = Annotated[str, AfterValidator(_locale_tag)]
"""A BCP 47 language tag: a lower-case language, optionally a region or script (``en``, ``es-MX``)."""


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line")
    return value


Name = Annotated[Text, Field(min_length=1, max_length=200), AfterValidator(_one_line)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class AlternativeWording(RecoveryModel):
    """An alternative of the catalog, in a locale's words: its ``description``, and optionally its
    ``contact`` and ``directions`` (the catalog's own are used where these are left out)."""

    _what: ClassVar[str] = "alternative wording"

    description: Annotated[Text, AfterValidator(_not_blank)]
    contact: Annotated[Text, Field(max_length=500)] | None = None
    directions: Text | None = None


class LocaleWording(RecoveryModel):
    """The wording of one locale: messages, ``names``, and how to write times and numbers.

    Every field may be left out where a built-in locale of the same language
    provides it (English, ``en``, is built in); a locale of another language
    writes every message and the weekday and month names, except the messages
    of a case's steps (``step_*``), those added after the first release and the
    decisions' ``explain_*`` ones: a step or an outcome whose message it leaves
    out is said in English, whole (see :attr:`MessageSpec.english_fallback`).

    - ``messages``: templates by message name (see :data:`MESSAGES`).
    - ``names``: how to say the policy's level names and remedy kinds
      (``{"refund": "un reembolso", "manager": "gerente"}``).
    - ``alternatives``: the catalog's alternatives in this locale's words, by id.
    - ``clock``: ``"12h"`` (``5:00``) or ``"24h"`` (``17:00``); unset in every layer, ``"24h"`` (the built-in
      English sets ``"12h"``).
    - ``weekdays``: the seven names from Monday; ``months``: the twelve from January.
    - ``decimal_mark`` and ``group_separator``: how to write ``1,234.50``.
    """

    _what: ClassVar[str] = "wording"

    messages: Annotated[Mapping[str, Annotated[Text, Field(max_length=2000)]], ReadOnly] = Field(
        default_factory=ReadOnlyDict
    )
    names: Annotated[Mapping[Word, Name], ReadOnly] = Field(default_factory=ReadOnlyDict)
    alternatives: Annotated[Mapping[Identifier, AlternativeWording], Field(max_length=10_000), ReadOnly] = Field(
        default_factory=ReadOnlyDict
    )
    clock: Literal["12h", "24h"] | None = None
    weekdays: Annotated[tuple[Name, ...], Field(min_length=7, max_length=7)] | None = None
    months: Annotated[tuple[Name, ...], Field(min_length=12, max_length=12)] | None = None
    decimal_mark: Literal[".", ","] | None = None
    group_separator: Literal[",", ".", " ", "\u00a0", "\u202f", "'", ""] | None = None

    _templates: Mapping[str, Template] = PrivateAttr()

    @model_validator(mode="after")
    def _templates_are_sound(self) -> Self:
        templates: dict[str, Template] = {}
        problems: list[Problem] = []
        messages = Suggestions(MESSAGES)
        for name, text in self.messages.items():
            at = f"messages.{name}"
            spec = MESSAGES.get(name)
            if spec is None:
                hint = messages.did_you_mean(name) or "see the list of messages in the docs"
                problems.append(Problem(at, f"is not a message; {hint}"))
                continue
            try:
                template = parse_template(text)
            except TemplateSyntaxError as error:
                problems.append(Problem(at, str(error)))
                continue
            found = list(_template_problems(template, spec))
            problems.extend(Problem(at, message) for message in found)
            if not found:
                templates[name] = template
        for word, name in self.names.items():
            problems.extend(Problem(f"names.{word}", message) for message in forbidden_phrases(name))
        for alternative_id, alternative in self.alternatives.items():
            problems.extend(
                Problem(f"alternatives.{alternative_id}.description", message)
                for message in forbidden_phrases(alternative.description)
            )
        if problems:
            raise located_problems(problems)
        self._templates = MappingProxyType(templates)
        return self


def _template_problems(template: Template, spec: MessageSpec) -> Iterator[str]:
    if not any(part.strip() if isinstance(part, str) else True for line in template.lines for part in line):
        yield "must not be empty"
        return
    used = template.slots
    for name in sorted(used - set(spec.slots)):
        yield f"{{{name}}} is not a slot of this message; its slots are " + ", ".join(f"{{{s}}}" for s in spec.slots)
    for name, why in spec.required.items():
        if name not in used:
            yield f"must contain {{{name}}}: {why}"
    for line in template.lines:
        slots = [part.name for part in line if isinstance(part, Slot)]
        alone = len(slots) == 1 and all(isinstance(part, Slot) or not part.strip() for part in line)
        for name in spec.lists.intersection(slots):
            if not alone:
                yield f"{{{name}}} is a list, so it must stand on a line of its own"
    # Each line is a paragraph, so a line's end ends a clause ("No" alone on a line is a bare "no"); the whole
    # text is read too, for a phrase a template wraps over two lines.
    text = template.literal_text(" X ")
    lines = text.split("\n") if "\n" in text else []  # a one-line template is read once
    yield from dict.fromkeys(
        [*forbidden_phrases(text), *(message for line in lines for message in forbidden_phrases(line))]
    )


@functools.cache
def built_in() -> Mapping[str, LocaleWording]:
    """The built-in locales, by tag: English (``en``).

    Read and checked (the phrase check included) on first use, not at import: a program that imports the
    library without speaking to a customer does not pay for it. Every call gives the same read-only mapping.
    """
    folder = resources.files(__package__).joinpath("locales")
    built_in = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            built_in[entry.name.removesuffix(".toml")] = LocaleWording.model_validate(
                tomllib.loads(entry.read_text(encoding="utf-8"))
            )
    return MappingProxyType(built_in)


def __getattr__(name: str) -> Mapping[str, LocaleWording]:
    if name == "BUILT_IN":  # the built-in locales, by tag, read on first use: see built_in()
        return built_in()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- merging the layers of a locale --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergedWording:
    """Everything needed to speak one locale: the layers of built-in and policy wording, merged."""

    tag: str
    templates: Mapping[str, Template]
    names: Mapping[str, str]
    alternatives: Mapping[str, AlternativeWording]
    clock: str
    weekdays: tuple[str, ...] | None
    months: tuple[str, ...] | None
    decimal_mark: str
    group_separator: str

    def missing(self) -> list[str]:
        """What the locale must say and does not: messages without an English fallback, and settings."""
        missing = [name for name, spec in MESSAGES.items() if not spec.english_fallback and name not in self.templates]
        missing += [setting for setting in ("weekdays", "months") if getattr(self, setting) is None]
        return missing


def _chain(tag: str) -> list[str]:
    """``es-MX`` -> ``["es", "es-MX"]``: the most general tag first."""
    parts = tag.split("-")
    return ["-".join(parts[: i + 1]) for i in range(len(parts))]


def merged_wording(own: Mapping[str, LocaleWording], tag: str) -> MergedWording | None:
    """The wording of locale ``tag``: built-in and policy (``own``) layers, general to specific; ``None`` if none."""
    by_folded = {key.casefold(): value for key, value in own.items()}
    layers: list[LocaleWording] = []
    for candidate in _chain(tag):
        folded = candidate.casefold()
        layers += [wording for key, wording in built_in().items() if key.casefold() == folded]
        if folded in by_folded:
            layers.append(by_folded[folded])
    if not layers:
        return None
    templates: dict[str, Template] = {}
    names: dict[str, str] = {}
    alternatives: dict[str, AlternativeWording] = {}
    for layer in layers:
        templates.update(layer._templates)
        names.update(layer.names)
        alternatives.update(layer.alternatives)

    def last(setting: str) -> Any:
        return next((value for layer in reversed(layers) if (value := getattr(layer, setting)) is not None), None)

    def nearest(setting: str) -> int:  # how specific the layer that sets it is (-1: none does)
        return max((index for index, layer in enumerate(layers) if getattr(layer, setting) is not None), default=-1)

    decimal_mark = last("decimal_mark") or "."
    group = last("group_separator")
    if group is None or (group == decimal_mark and nearest("group_separator") < nearest("decimal_mark")):
        group = "." if decimal_mark == "," else ","  # a group mark left to a more general layer: never the decimal's
    return MergedWording(
        tag=tag,
        templates=MappingProxyType(templates),
        names=MappingProxyType(names),
        alternatives=MappingProxyType(alternatives),
        clock=last("clock") or "24h",
        weekdays=last("weekdays"),
        months=last("months"),
        decimal_mark=decimal_mark,
        group_separator=group,
    )


def wording_problems(
    wording: Mapping[str, LocaleWording], names: Collection[str] | None, ids: Collection[str] | None
) -> Iterator[Problem]:
    """The policy-wide checks of a policy's ``wording``.

    ``names`` are the policy's level names and remedy kinds, ``ids`` its alternatives' ids; ``None`` when
    they are not all known (a policy with other problems), which leaves out the checks against them.
    """
    seen: dict[str, str] = {}
    known_names = Suggestions(names or ())
    known_ids = Suggestions(ids or ())
    for tag, locale in wording.items():
        at = f"wording.{tag}"
        if tag.casefold() in seen:
            yield Problem(at, f"is the same locale as {seen[tag.casefold()]!r}; write each locale once")
            continue
        seen[tag.casefold()] = tag
        for word in locale.names:
            if names is not None and word not in names:
                hint = known_names.did_you_mean(word, "; ")
                yield Problem(f"{at}.names.{word}", f"is neither a level nor a remedy kind of the policy{hint}")
        for alternative_id in locale.alternatives:
            if ids is not None and alternative_id not in ids:
                hint = known_ids.did_you_mean(alternative_id, "; ")
                yield Problem(
                    f"{at}.alternatives.{alternative_id}", f"is not the id of an alternative in the catalog{hint}"
                )
        merged = merged_wording(wording, tag)
        if merged is not None and (mark := merged.decimal_mark) == merged.group_separator:
            yield Problem(
                at,
                f"writes {mark!r} both as its decimal_mark and as its group_separator, so an amount such as "
                f"1{mark}234{mark}50 could be read either way; set another group_separator, such as "
                f"{'.' if mark == ',' else ','!r} or ' '",
            )
        missing = merged.missing() if merged is not None else []
        if missing:
            yield Problem(
                at,
                f"does not say {', '.join(missing)}: a locale of a language that is not built in (English, 'en', "
                "is) writes every message and the weekday and month names; start from a copy of "
                "recovery_rules/_wording/locales/en.toml",
            )
