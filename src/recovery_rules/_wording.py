"""What the employee says: the wording of every outcome, from templates a policy can override.

The wording of a locale is a set of named *messages*, each a template (see
:mod:`._template`) with the slots listed in :data:`MESSAGES`, plus a few
settings (the clock, weekday and month names, number separators) and
``names``: how to say the policy's level names and remedy kinds. English is
built in (``locales/en.toml``); a policy overrides any message per locale in
its ``wording`` table, or adds a locale by writing every message.

Everything is checked when the policy loads, so rendering never fails on
wording: a template that is not text with named slots, uses a slot its message
does not have, leaves out a required one (the callback time of an escalation,
the alternatives and the reason of a denial), puts a list anywhere but on a
line of its own, or says what the seeds forbid (see :mod:`._phrases`) is
refused with its location.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, ClassVar, Final, Literal, Self

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from ._base import RecoveryModel, Text, Word, located_problems
from ._currencies import MINOR_UNITS, SYMBOLS
from ._document import FORMATS, Block, Format, Item, ItemList, Link, Paragraph, Segments, write
from ._money import Money
from ._phrases import forbidden_phrases
from ._policy_parts import Alternative
from ._resolution import Outcome, Resolution
from ._template import Slot, Template, TemplateSyntaxError, parse_template
from .exceptions import InvalidInputError, Problem, UnknownLocaleError

if TYPE_CHECKING:
    from ._policy import Policy

__all__ = ["BUILT_IN", "MESSAGES", "LocaleTag", "LocaleWording", "MessageSpec", "Wording", "say", "wording_problems"]


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
            "why: the total would be over the per-customer cap", ("remedy", "remedy_kind", "total", "cap")
        ),
        "reason_no_level": MessageSpec("why: no level may grant the total", ("remedy", "remedy_kind", "total")),
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
            "an alternative in a list", ("description",), {"description": "it says what the alternative is"}
        ),
        "alternative_elsewhere": MessageSpec(
            "an alternative at another business", ("description",), {"description": "it says what it is"}
        ),
        "contact": MessageSpec("whom to contact for an alternative", ("contact",), {"contact": "it is the contact"}),
        "directions": MessageSpec(
            "how to get to an alternative", ("directions",), {"directions": "they are the directions"}
        ),
        "link": MessageSpec("an alternative's web address", ("url",), {"url": "it is the web address"}),
        "remedy": MessageSpec(
            "what was asked for", ("kind", "amount"), {"kind": "it says what", "amount": "it says how much"}
        ),
        "remedy_free": MessageSpec("what was asked for, when it has no amount", ("kind",), {"kind": "it says what"}),
        "money": MessageSpec(
            "an amount in a currency with a symbol", ("amount", "symbol", "currency"), {"amount": "it is the amount"}
        ),
        "money_code": MessageSpec(
            "an amount in a currency without a symbol", ("amount", "currency"), {"amount": "it is the amount"}
        ),
        **_time_messages(),
    }
)
"""Every message, by name."""

_REASONS: Final = {
    Outcome.DENIED: {
        "remedy.refused": "reason_refused",
        "cap.hard": "reason_over_cap",
        "escalation.path": "reason_no_level",
    },
    Outcome.ESCALATED: {"limit.authority": "reason_over_limit", "authority.kind": "reason_not_mine"},
}
"""The message that gives the reason, by outcome and the rule that decided (the last one that failed)."""


# -- one locale's wording, as a policy or the built-in files write it -----------------------------

_TAG: Final = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")


def _locale_tag(value: str) -> str:
    if not _TAG.fullmatch(value):
        raise ValueError("must be a language tag such as 'en', 'es', 'de' or 'en-GB'")
    return value


LocaleTag = Annotated[str, AfterValidator(_locale_tag)]
"""A BCP 47 language tag: a lower-case language, optionally a region or script (``en``, ``es-MX``)."""


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line")
    return value


Name = Annotated[Text, Field(min_length=1, max_length=200), AfterValidator(_one_line)]


class LocaleWording(RecoveryModel):
    """The wording of one locale: messages, ``names``, and how to write times and numbers.

    Every field may be left out where a built-in locale of the same language
    provides it (English, ``en``, is built in); a locale of another language
    writes every message and the weekday and month names.

    - ``messages``: templates by message name (see :data:`MESSAGES`).
    - ``names``: how to say the policy's level names and remedy kinds
      (``{"refund": "reembolso", "manager": "gerente"}``).
    - ``clock``: ``"12h"`` (``5:00``) or ``"24h"`` (``17:00``).
    - ``weekdays``: the seven names from Monday; ``months``: the twelve from January.
    - ``decimal_mark`` and ``group_separator``: how to write ``1,234.50``.
    """

    _what: ClassVar[str] = "wording"

    messages: dict[str, Annotated[Text, Field(max_length=2000)]] = Field(default_factory=dict)
    names: dict[Word, Name] = Field(default_factory=dict)
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
        for name, text in self.messages.items():
            at = f"messages.{name}"
            spec = MESSAGES.get(name)
            if spec is None:
                close = difflib.get_close_matches(name, MESSAGES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else "; see the list of messages in the docs"
                problems.append(Problem(at, f"is not a message{hint}"))
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
    yield from forbidden_phrases(template.literal_text(" X "))


def _load_built_in() -> Mapping[str, LocaleWording]:
    folder = resources.files(__package__).joinpath("locales")
    built_in = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            built_in[entry.name.removesuffix(".toml")] = LocaleWording.model_validate(
                tomllib.loads(entry.read_text(encoding="utf-8"))
            )
    return MappingProxyType(built_in)


BUILT_IN: Final = _load_built_in()
"""The built-in locales, by tag: English (``en``)."""


# -- merging the layers of a locale --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Voice:
    """Everything needed to speak one locale: the layers of built-in and policy wording, merged."""

    tag: str
    templates: Mapping[str, Template]
    names: Mapping[str, str]
    clock: str | None
    weekdays: tuple[str, ...] | None
    months: tuple[str, ...] | None
    decimal_mark: str
    group_separator: str

    def missing(self) -> list[str]:
        missing = [name for name in MESSAGES if name not in self.templates]
        missing += [setting for setting in ("weekdays", "months") if getattr(self, setting) is None]
        return missing


def _chain(tag: str) -> list[str]:
    """``es-MX`` -> ``["es", "es-MX"]``: the most general tag first."""
    parts = tag.split("-")
    return ["-".join(parts[: i + 1]) for i in range(len(parts))]


def _voice(own: Mapping[str, LocaleWording], tag: str) -> _Voice | None:
    layers = []
    by_folded = {key.casefold(): value for key, value in own.items()}
    for candidate in _chain(tag):
        folded = candidate.casefold()
        layers += [BUILT_IN[key] for key in BUILT_IN if key.casefold() == folded]
        if folded in by_folded:
            layers.append(by_folded[folded])
    if not layers:
        return None
    templates: dict[str, Template] = {}
    names: dict[str, str] = {}
    settings: dict[str, object] = {}
    for layer in layers:
        templates.update(layer._templates)
        names.update(layer.names)
        for setting in ("clock", "weekdays", "months", "decimal_mark", "group_separator"):
            value = getattr(layer, setting)
            if value is not None:
                settings[setting] = value
    return _Voice(
        tag=tag,
        templates=templates,
        names=names,
        clock=settings.get("clock"),  # type: ignore[arg-type]
        weekdays=settings.get("weekdays"),  # type: ignore[arg-type]
        months=settings.get("months"),  # type: ignore[arg-type]
        decimal_mark=settings.get("decimal_mark", "."),  # type: ignore[arg-type]
        group_separator=settings.get("group_separator", ","),  # type: ignore[arg-type]
    )


def wording_problems(policy: Policy) -> Iterator[Problem]:
    """The policy-wide checks of a policy's wording, and the phrase check of its alternatives."""
    for i, alternative in enumerate(policy.catalog):
        for message in forbidden_phrases(alternative.description):
            yield Problem(f"catalog[{i}].description", message)
    known = {level.name for level in policy.levels} | set(policy.vocabulary)
    seen: dict[str, str] = {}
    for tag, wording in policy.wording.items():
        at = f"wording.{tag}"
        if tag.casefold() in seen:
            yield Problem(at, f"is the same locale as {seen[tag.casefold()]!r}; write each locale once")
            continue
        seen[tag.casefold()] = tag
        for word in wording.names:
            if word not in known:
                yield Problem(f"{at}.names.{word}", "is neither a level nor a remedy kind of the policy")
        voice = _voice(policy.wording, tag)
        missing = voice.missing() if voice is not None else []
        if missing:
            yield Problem(
                at,
                f"does not say {', '.join(missing)}: a locale of a language that is not built in (English, 'en', "
                "is) writes every message and the weekday and month names; start from a copy of "
                "recovery_rules/locales/en.toml",
            )


# -- speaking ---------------------------------------------------------------------------------

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


def _check_format(format: object) -> Format:
    if format not in FORMATS:
        raise InvalidInputError("wording", [Problem("format", "must be 'text', 'markdown' or 'html'")])
    return format


class Wording:
    """What the employee says, in one locale, with one policy's wording and time zone.

    ``Wording(policy, "es")`` merges the built-in wording of the locale's
    language (if any) with the policy's own, from the most general tag to the
    most specific (``es``, then ``es-MX``).
    :class:`~recovery_rules.UnknownLocaleError` if neither speaks it.

    Immutable and safe to share between threads.
    """

    __slots__ = ("_levels", "_policy_name", "_voice", "_zone")

    _voice: _Voice
    _zone: zoneinfo.ZoneInfo
    _policy_name: str
    _levels: Mapping[str, str]

    def __init__(self, policy: Policy, locale: str = "en") -> None:
        voice = _voice(policy.wording, locale) if isinstance(locale, str) and _TAG.fullmatch(locale) else None
        if voice is None:
            known = sorted({*BUILT_IN, *policy.wording})
            raise UnknownLocaleError(str(locale) if isinstance(locale, str) else type(locale).__name__, known)
        english = locale.split("-", maxsplit=1)[0].casefold() == "en"
        levels = {
            level.name: voice.names.get(level.name) or _in_a_sentence(level.display_name, english)
            for level in policy.levels
        }
        for name, value in (
            ("_voice", voice),
            ("_zone", zoneinfo.ZoneInfo(policy.timezone)),
            ("_policy_name", policy.name),
            ("_levels", MappingProxyType(levels)),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Wording is immutable")

    @property
    def locale(self) -> str:
        """The locale tag this wording speaks."""
        return self._voice.tag

    # -- public ---------------------------------------------------------------
    def say(self, resolution: Resolution, *, format: Format = "text", customer_name: str = "") -> str:
        """What the employee says about ``resolution``, in ``format`` (``"text"``, ``"markdown"``, ``"html"``).

        An apology first (by name when ``customer_name`` is given), then the
        outcome in positive form with the reason when something is refused,
        the callback time and the alternatives, and a thank-you.
        """
        format = _check_format(format)
        if not isinstance(resolution, Resolution):
            raise InvalidInputError("wording", [Problem("resolution", "must be a Resolution from Policy.decide")])
        if resolution.policy != self._policy_name:
            raise InvalidInputError(
                "wording", [Problem("resolution", "was decided under another policy; word it with that policy")]
            )
        if not isinstance(customer_name, str):
            raise InvalidInputError("wording", [Problem("customer_name", "must be a string")])
        number: Segments = (str(resolution.complaint_number),)
        blocks: list[Block] = []
        if customer_name:
            blocks += self._fill("apology_named", customer_name=(customer_name,), complaint_number=number)
        else:
            blocks += self._fill("apology", complaint_number=number)
        asked = self._asked(resolution)
        if resolution.outcome is Outcome.APPROVED:
            blocks += self._fill("approved", **asked)
            if resolution.suggestions:
                blocks += self._fill("suggestions", suggestions=self._items(resolution.suggestions))
        elif resolution.outcome is Outcome.ESCALATED:
            if resolution.callback_by is None or resolution.escalate_to is None:
                raise InvalidInputError(
                    "wording", [Problem("resolution", "an escalation names escalate_to and callback_by")]
                )
            blocks += self._fill(
                "escalated",
                **asked,
                escalate_to=(self._level(resolution.escalate_to),),
                reason=self._reason(resolution),
                callback_time=self._time(resolution.callback_by, resolution.decided_at),
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

    def render(self, message: str, /, *, format: Format = "text", **slots: SlotValue) -> str:
        """One message, with its slots filled from ``slots``: text for most, alternatives for lists.

        For wording a step of a case, say: ``render("apology")``, or
        ``render("denied", remedy="refund", reason="...", alternatives=resolution.alternatives)``.
        Every slot the template uses must be given; a slot the message does not have is refused.
        """
        format = _check_format(format)
        spec = MESSAGES.get(message) if isinstance(message, str) else None
        if spec is None:
            raise InvalidInputError("wording", [Problem("message", "is not a message; see the list of messages")])
        values: dict[str, Value] = {}
        for name, value in slots.items():
            if name not in spec.slots:
                raise InvalidInputError(
                    "wording", [Problem(name, f"is not a slot of {message!r}; its slots are {', '.join(spec.slots)}")]
                )
            if name in spec.lists:
                if isinstance(value, str) or not all(isinstance(item, Alternative) for item in value):
                    raise InvalidInputError("wording", [Problem(name, "must be a sequence of Alternative")])
                values[name] = self._items(value)
            elif isinstance(value, str):
                values[name] = (value,)
            else:
                raise InvalidInputError("wording", [Problem(name, "must be a string")])
        missing = sorted(self._voice.templates[message].slots - values.keys())
        if missing:
            raise InvalidInputError(
                "wording", [Problem(name, f"is used by the {message!r} template; pass it") for name in missing]
            )
        return write(self._fill(message, **values), format)

    def money(self, amount: Money) -> str:
        """``amount`` as this locale writes it: ``$2,000.00``, ``2.000,00 US$``."""
        return "".join(str(part) for part in self._money(amount))

    def time(self, when: dt.datetime, *, now: dt.datetime) -> str:
        """``when`` as said at ``now``, in the policy's time zone: ``5:00 this afternoon``."""
        for name, value in (("when", when), ("now", now)):
            if not isinstance(value, dt.datetime) or value.utcoffset() is None:
                raise InvalidInputError("wording", [Problem(name, "must be a timezone-aware datetime")])
        return "".join(str(part) for part in self._time(when, now))

    # -- the pieces -------------------------------------------------------------
    def _fill(self, message: str, **values: Value) -> list[Block]:
        spec = MESSAGES[message]
        blocks: list[Block] = []
        for line in self._voice.templates[message].lines:
            slots = [part.name for part in line if isinstance(part, Slot)]
            if len(slots) == 1 and slots[0] in spec.lists:
                items = values[slots[0]]
                blocks.append(ItemList(items))  # type: ignore[arg-type]  # list slots hold items
                continue
            segments = self._segments(line, values)
            if any(isinstance(segment, Link) or segment.strip() for segment in segments):
                blocks.append(Paragraph(segments))
        return blocks

    def _inline(self, message: str, **values: Value) -> Segments:
        """A message used inside another one: its lines joined by spaces."""
        out: list[str | Link] = []
        for line in self._voice.templates[message].lines:
            segments = self._segments(line, values)
            if segments:
                out += [" "] if out else []
                out += segments
        return tuple(out)

    @staticmethod
    def _segments(line: tuple[str | Slot, ...], values: Mapping[str, Value]) -> Segments:
        out: list[str | Link] = []
        last = len(line) - 1
        for i, part in enumerate(line):
            if isinstance(part, Slot):
                out += values[part.name]  # type: ignore[arg-type]  # inline slots hold segments
                continue
            text = part.lstrip() if i == 0 else part
            out.append(text.rstrip() if i == last else text)
        return tuple(out)

    def _word(self, word: str) -> str:
        return self._voice.names.get(word) or word.replace("_", " ")

    def _level(self, name: str) -> str:
        return self._levels.get(name) or self._word(name)

    def _asked(self, resolution: Resolution) -> dict[str, Value]:
        remedy = resolution.remedy
        kind = (self._word(remedy.kind),)
        amount = self._money(remedy.amount)
        phrase = (
            self._inline("remedy_free", kind=kind)
            if remedy.amount.is_zero
            else self._inline("remedy", kind=kind, amount=amount)
        )
        return {
            "remedy": phrase,
            "remedy_kind": kind,
            "amount": amount,
            "request": (remedy.description,),
            "employee": (self._level(resolution.acting_level),),
            "complaint_number": (str(resolution.complaint_number),),
        }

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
            for figure in ("cap", "limit"):
                if figure in figures:
                    values[figure] = self._money(figures[figure])
            needs = {"reason_over_cap": "cap", "reason_over_limit": "limit"}.get(message)
            if needs is None or needs in values:
                return self._inline(message, **values)
        return self._inline("reason_other", reason=(resolution.reason,))

    def _items(self, alternatives: Sequence[Alternative]) -> tuple[Item, ...]:
        items = []
        for alternative in alternatives:
            message = "alternative_elsewhere" if alternative.refers_elsewhere else "alternative"
            details = []
            if alternative.contact:
                details.append(self._inline("contact", contact=(alternative.contact,)))
            if alternative.directions:
                details.append(self._inline("directions", directions=(alternative.directions,)))
            if alternative.url:
                details.append(self._inline("link", url=(Link(alternative.url),)))
            items.append(Item(self._inline(message, description=(alternative.description,)), tuple(details)))
        return tuple(items)

    def _money(self, money: Money) -> Segments:
        places = MINOR_UNITS[money.currency]
        digits = f"{money.amount.copy_abs():,.{places}f}"  # "," and "." here never depend on the process locale
        digits = digits.replace(",", "\x00").replace(".", self._voice.decimal_mark)
        digits = ("-" if money.amount < 0 else "") + digits.replace("\x00", self._voice.group_separator)
        symbol = SYMBOLS.get(money.currency)
        currency = (money.currency,)
        if symbol is None:
            return self._inline("money_code", amount=(digits,), currency=currency)
        return self._inline("money", amount=(digits,), symbol=(symbol,), currency=currency)

    def _time(self, when: dt.datetime, now: dt.datetime) -> Segments:
        """``when`` said at ``now``; seconds are dropped, so the promise is never later than the deadline."""
        local = when.astimezone(self._zone)
        today = now.astimezone(self._zone).date()
        # Until 5:00 in the morning, it is still "tonight" of the day before.
        evening_of = local.date() - dt.timedelta(days=1) if local.hour < 5 else local.date()
        days = (evening_of - today).days
        part = _part_of_day(local.hour)
        if self._voice.clock == "12h":
            clock = f"{local.hour % 12 or 12}:{local.minute:02d}"
        else:
            clock = f"{local.hour:02d}:{local.minute:02d}"
        time = (clock,)
        if days <= 0:
            return self._inline(f"time_today_{part}", time=time)
        if days == 1:
            return self._inline(f"time_tomorrow_{part}", time=time)
        weekdays = self._voice.weekdays or ()
        months = self._voice.months or ()
        return self._inline(
            f"time_later_{part}",
            time=time,
            weekday=(weekdays[local.weekday()],),
            day=(str(local.day),),
            month=(months[local.month - 1],),
            year=(str(local.year),),
        )


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
    """What the employee says about ``resolution``: ``Wording(policy, locale).say(resolution, ...)``."""
    return Wording(policy, locale).say(resolution, format=format, customer_name=customer_name)
