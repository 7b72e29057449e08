"""The words of a decision's findings: what ``Resolution.reason`` and each ``TraceEntry.message`` say.

The engine decides with numbers; it says why in words written in one place, the
``explain_*`` messages of the English locale: the built-in ones
(``_wording/locales/en.toml``), or a policy's own under ``[wording.en.messages]``.
They are checked like every message when the policy loads (named slots only,
every slot the finding needs, the phrase check) and turned, once per policy,
into :meth:`str.format` strings here, so that filling one costs what an f-string
does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Final

from recovery_rules._wording._locale import BUILT_IN
from recovery_rules._wording._template import Slot, parse_template

__all__ = ["ENGLISH", "Explanation", "explanation", "span"]


@dataclasses.dataclass(frozen=True, slots=True)
class Explanation:
    """Each ``explain_*`` message of the English locale as a :meth:`str.format` string, named without its prefix."""

    cap: str
    authority: str
    tier_authority: str
    asked: str
    asked_with_granted: str
    unlisted: str
    unlisted_closest: str
    grantable: str
    refused: str
    within_cap: str
    over_cap: str
    within_authority: str
    over_authority: str
    no_limit: str
    not_mine: str
    no_level: str
    escalation: str
    good_news: str
    bad_news: str
    escalates: str
    alternatives: str
    alternatives_unlimited: str
    suggestions: str
    reason_refused: str
    reason_no_level: str
    reason_no_level_most: str
    reason_over_authority: str
    reason_not_mine: str
    days: str
    day: str
    hours: str
    hour: str
    minutes: str


def _format_string(text: str) -> str:
    """A one-line template as a :meth:`str.format` string: its literal braces doubled, its slots as they are."""
    (line,) = parse_template(text).lines
    return "".join(
        "{" + part.name + "}" if isinstance(part, Slot) else part.replace("{", "{{").replace("}", "}}") for part in line
    )


def explanation(overrides: Mapping[str, str]) -> Explanation:
    """The English of every finding: the built-in ``explain_*`` messages, with a policy's ``overrides`` (by name)."""
    messages = {**BUILT_IN["en"].messages, **overrides}
    return Explanation(
        **{field.name: _format_string(messages[f"explain_{field.name}"]) for field in dataclasses.fields(Explanation)}
    )


ENGLISH: Final = explanation({})
"""The built-in English of every finding."""


def span(words: Explanation, duration: dt.timedelta) -> str:
    """A callback's time span in ``words``: ``2 hours``, ``1 day``, ``90 minutes``."""
    minutes = int(duration.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return (words.day if days == 1 else words.days).format(count=days)
    if minutes % 60 == 0:
        hours = minutes // 60
        return (words.hour if hours == 1 else words.hours).format(count=hours)
    return words.minutes.format(count=minutes)
