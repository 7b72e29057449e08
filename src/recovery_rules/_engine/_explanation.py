"""The words of a decision's findings: what ``Resolution.reason`` and each ``TraceEntry.message`` say.

The engine decides with numbers; it says why in words written in one place, the
``explain_*`` messages of the English locale: the built-in ones
(``_wording/locales/en.toml``), or a policy's own under ``[wording.en.messages]``.
They are checked like every message when the policy loads (named slots only,
every slot the finding needs, the phrase check) and turned, once per policy,
into small functions here, so that filling one costs what an f-string does (a
tenth of :meth:`str.format`, which a decision would otherwise spend most of its
time in).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Final

from recovery_rules._wording._locale import built_in
from recovery_rules._wording._template import Slot, parse_template

__all__ = ["Explanation", "Filler", "built_in_explanation", "explanation", "span", "with_article"]

Filler = Callable[..., str]
"""A message's words with its slots filled in: ``filler(slot=text, ...)``."""


@dataclasses.dataclass(frozen=True, slots=True)
class Explanation:
    """Each ``explain_*`` message of the English locale as a function of its slots, named without its prefix.

    ``words.over_cap(totals="$6,000.00 asked", cap="the per-guest cap of $5,000.00")``.
    """

    cap: Filler
    cap_window: Filler
    cap_labelled: Filler
    per_incident: Filler
    per_day: Filler
    in_any: Filler
    authority: Filler
    tier_authority: Filler
    asked: Filler
    asked_with_granted: Filler
    offered: Filler
    offered_with_granted: Filler
    unlisted: Filler
    unlisted_closest: Filler
    grantable: Filler
    refused: Filler
    within_cap: Filler
    over_cap: Filler
    within_authority: Filler
    over_authority: Filler
    no_limit: Filler
    no_limit_uncapped: Filler
    not_mine: Filler
    no_level: Filler
    escalation: Filler
    good_news: Filler
    good_news_handed: Filler
    bad_news: Filler
    escalates: Filler
    alternatives: Filler
    alternatives_unlimited: Filler
    alternatives_capped: Filler
    suggestions: Filler
    suggestion: Filler
    reason_refused: Filler
    reason_no_level: Filler
    reason_no_level_most: Filler
    reason_no_level_above: Filler
    reason_over_authority: Filler
    reason_not_mine: Filler
    counter_offer: Filler
    counter_offer_accepted: Filler
    days: Filler
    day: Filler
    hours: Filler
    hour: Filler
    minutes: Filler
    minute: Filler


def _filler(text: str, *, optional: bool = False) -> Filler:
    """The function that fills a one-line template: its slots are its keyword arguments (with ``optional``, the
    message's slots the template leaves out are taken and ignored too).

    It is made from the template as an f-string expression, the way :mod:`dataclasses` makes methods:
    each piece of literal text goes in as a string literal (``repr``), each slot as its name, which
    the template language allows only as a lower-case identifier checked against the message's slots.
    """
    (line,) = parse_template(text).lines
    names = sorted({part.name for part in line if isinstance(part, Slot)})
    pieces = [_piece(part, line[at - 1] if at else None) for at, part in enumerate(line)] or ["''"]
    arguments = "".join(f", {name}" for name in names) + (", **_left_out" if optional else "")
    source = f"lambda *{arguments}: " + " ".join(pieces) if arguments else "lambda: " + " ".join(pieces)
    filler: Filler = eval(source, {"__builtins__": {}})  # noqa: S307 - literals as repr(), slots as checked identifiers
    return filler


def _piece(part: str | Slot, before: str | Slot | None) -> str:
    """The expression of one part of a template: a literal's ``repr``, or a slot's value. The customer noun right
    after a hyphen is the end of a compound ("the per-{customer} cap"), so its words are joined by hyphens there
    too: "the per-walk-in cap", never "the per-walk in cap"."""
    if not isinstance(part, Slot):
        return repr(part)
    if part.name == "customer" and isinstance(before, str) and before.endswith("-"):
        return f"f\"{{{part.name}.replace(' ', '-')}}\""
    return f"f'{{{part.name}}}'"


def explanation(overrides: Mapping[str, str]) -> Explanation:
    """The English of every finding: the built-in ``explain_*`` messages, with a policy's ``overrides`` (by name)."""
    messages = {**built_in()["en"].messages, **overrides}
    return Explanation(
        **{
            field.name: _filler(messages[f"explain_{field.name}"], optional=field.name in _OPTIONAL_SLOTS)
            for field in dataclasses.fields(Explanation)
        }
    )


_OPTIONAL_SLOTS: Final = frozenset({"tier_authority"})
"""The findings whose template may leave some of its slots out (the customer, with or without its article)."""


def with_article(noun: str) -> str:
    """``noun`` after the English indefinite article its sound takes, as far as its spelling tells: "a guest",
    "an owner", "an hour", "a user", "a one-day visitor"."""
    folded = noun.casefold()
    if folded.startswith(("hour", "heir", "honest", "honor", "honour")):
        return f"an {noun}"
    if folded.startswith(("one", "once", "eu", "ewe", "uni", "use", "usu", "uti", "ura", "ure", "uro")):
        return f"a {noun}"
    return f"{'an' if folded[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {noun}"


@functools.cache
def built_in_explanation() -> Explanation:
    """The built-in English of every finding (made on first use, not at import; the same object every time)."""
    return explanation({})


def __getattr__(name: str) -> Explanation:
    if name == "ENGLISH":  # the built-in English of every finding, made on first use: see built_in_explanation()
        return built_in_explanation()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def span(words: Explanation, duration: dt.timedelta) -> str:
    """A callback's time span in ``words``: ``2 hours``, ``1 day``, ``90 minutes``, ``1 minute``.

    Said in whole minutes rounded up, so that "within" it holds: a callback within 90 seconds is "within 2 minutes"
    (a cap's window is always whole minutes: see :class:`~recovery_rules.Window`)."""
    minutes = -(-int(duration.total_seconds()) // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return (words.day if days == 1 else words.days)(count=days)
    if minutes % 60 == 0:
        hours = minutes // 60
        return (words.hour if hours == 1 else words.hours)(count=hours)
    return (words.minute if minutes == 1 else words.minutes)(count=minutes)
