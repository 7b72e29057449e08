"""Text from a complaint is said as text at every step of a case, never interpreted, in every format.

The same checks as ``test_wording_safety.py``, for the words of a case's steps.
Cases are driven along every path with plain stand-in values in every free-text
field that reaches those words (the customer's name, the request, the manager's
reason for a denial, each alternative's description, contact, directions and
web address); each recorded prefix of a case is then read back with the
stand-ins swapped, in the events and the complaint, for format strings,
template syntax, markup and huge brace runs. What is said now (at every prefix)
and what was said at each step must be the stand-in words with the values put
in: character for character in plain text; with the same structure and the
values read back as text in Markdown and HTML. The last tests break the writers
on purpose and show the checks catch it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Alternative,
    Case,
    Complaint,
    Customer,
    Event,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    Wording,
)
from recovery_rules._journal import JSONValue
from recovery_rules._wording import _document as document
from recovery_rules._wording._document import FORMATS, Format

from ._helpers import examples, policy_data
from ._markup import (
    ALLOWED_MARKDOWN,
    NASTY_MARKED,
    URL,
    Fields,
    every_slot_templates,
    fields_strategy,
    html_read,
    markdown_read,
    uniform,
    web_address,
)

NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)


STAND_INS = Fields.stand_ins()


def _catalog() -> list[dict[str, Any]]:
    """Three alternatives of any category, free and extra-mile: every Plan B and every suggestion is these."""
    catalog = []
    for i in range(3):
        entry: dict[str, Any] = {
            "id": f"alt-{i}",
            "kind": f"kind_{i}",
            "description": getattr(STAND_INS, f"description_{i}"),
            "value": "0",
            "applies_to": ["*"],
            "refers_elsewhere": i == 1,
            "extra_mile": True,
        }
        if i != 2:
            entry["contact"] = getattr(STAND_INS, f"contact_{i}")
        if i != 1:
            entry["directions"] = getattr(STAND_INS, f"directions_{i}")
        if i != 2:
            entry["url"] = web_address(getattr(STAND_INS, f"url_{i}"))
        catalog.append(entry)
    return catalog


BUILT_IN_POLICY = Policy.model_validate(policy_data(catalog=_catalog()))
EVERY_SLOT_POLICY = Policy.model_validate(
    policy_data(catalog=_catalog(), wording={"en": {"messages": every_slot_templates()}})
)
WORDINGS = {"built-in templates": Wording(BUILT_IN_POLICY), "every slot": Wording(EVERY_SLOT_POLICY)}


@dataclass(frozen=True)
class Recorded:
    """A case as far as it was recorded: what the words read of a :class:`Case`, frozen at one version."""

    history: tuple[Event, ...]
    complaint: Complaint
    level: str
    policy: Policy
    allowed: tuple[str, ...]
    upcoming: tuple[Alternative, ...]

    def allowed_steps(self) -> tuple[str, ...]:
        return self.allowed

    def offers(self, **_: object) -> tuple[Alternative, ...]:
        return self.upcoming


def _snapshot(case: Case) -> Recorded:
    return Recorded(case.history, case.complaint, case.level, case.policy, case.allowed_steps(), case.offers())


def _drive(amount: str, steps: Callable[[Case], Iterator[object]]) -> tuple[Recorded, ...]:
    complaint = Complaint(
        customer=Customer(id="10442", name=STAND_INS.customer_name),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD"), description=STAND_INS.request),
        received_at=NOW,
    )
    case = Case.open(MemoryJournal(), BUILT_IN_POLICY, complaint, by="staff", clock=lambda: NOW)
    snapshots = [_snapshot(case)]
    for _ in steps(case):
        snapshots.append(_snapshot(case))
    return tuple(snapshots)


def _start(case: Case) -> Iterator[object]:
    yield case.listen()
    yield case.apologize()
    yield case.ask_preferred_solution()
    yield case.decide()


def _denied_by_the_manager(case: Case) -> Iterator[object]:
    yield from _start(case)
    yield case.escalate()
    yield case.manager_denies(by="supervisor", reason=STAND_INS.reason)
    yield case.explain_denial()


def _approved(case: Case) -> Iterator[object]:
    yield from _start(case)  # within the staff member's $100: approved, with the extra-mile suggestions
    yield case.deliver()
    yield case.thank()


def _approved_by_the_manager(case: Case) -> Iterator[object]:
    yield from _start(case)
    yield case.escalate()
    yield case.manager_approves(by="supervisor")
    yield case.deliver()


def _alternative_accepted(case: Case) -> Iterator[object]:
    yield from _denied_by_the_manager(case)
    yield case.accept_alternative("alt-1")
    yield case.thank()


def _reported(case: Case) -> Iterator[object]:
    yield from _denied_by_the_manager(case)
    yield case.decline_alternatives()
    yield case.make_final_offer()
    yield case.decline_final_offer()
    yield case.write_report()
    yield case.thank()


def _denied_by_the_rules(case: Case) -> Iterator[object]:
    yield from _start(case)  # over the $5,000 cap
    yield case.explain_denial()
    yield case.decline_alternatives()
    yield case.make_final_offer()
    yield case.accept_final_offer()


PATHS = {
    "approved": _drive("50.00", _approved),
    "approved by the manager": _drive("300.00", _approved_by_the_manager),
    "alternative accepted": _drive("300.00", _alternative_accepted),
    "reported": _drive("300.00", _reported),
    "denied by the rules": _drive("6000.00", _denied_by_the_rules),
}


# -- the stand-ins swapped for values -----------------------------------------------------------------


_STAND_IN: Final = re.compile("\ue000([0-9]+)\ue001")


def _swap(text: str, values: Fields, *, said: bool = False) -> str:
    """``text`` with each stand-in replaced by its value (a web address keeps its start); ``said``: as the words
    put it in (a customer's name without the white space around it, each run inside it one space)."""
    put = [
        web_address(value)[len(URL) :]
        if name.startswith("url")
        else " ".join(value.split())
        if said and name == "customer_name"
        else value
        for name, value in values.items()
    ]
    return _STAND_IN.sub(lambda found: put[int(found.group(1))], text)


def _swap_json(value: JSONValue, values: Fields) -> JSONValue:
    if isinstance(value, str):
        return _swap(value, values) if "\ue000" in value else value
    if isinstance(value, list):
        return [_swap_json(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _swap_json(item, values) for key, item in value.items()}
    return value


def swapped(snapshots: tuple[Recorded, ...], values: Fields) -> tuple[Recorded, ...]:
    """The recorded case at each version as if every stand-in had been ``values``.

    Events are not re-sealed (no one verifies them here); each version's history is a prefix of the last.
    """
    last = snapshots[-1]
    history = tuple(event.model_copy(update={"data": _swap_json(event.data, values)}) for event in last.history)
    complaint = Complaint.model_validate(_swap_json(last.complaint.model_dump(mode="json"), values))
    return tuple(
        dataclasses.replace(
            snapshot,
            history=history[: len(snapshot.history)],
            complaint=complaint,
            upcoming=tuple(_swap_alternative(alternative, values) for alternative in snapshot.upcoming),
        )
        for snapshot in snapshots
    )


def _swap_alternative(alternative: Alternative, values: Fields) -> Alternative:
    texts = {name: value for name, value in alternative.model_dump(mode="json").items() if isinstance(value, str)}
    return alternative.model_copy(update={name: _swap_json(value, values) for name, value in texts.items()})


def said(wording: Wording, snapshots: tuple[Recorded, ...], format: Format) -> list[str]:
    """Everything said in the case: at each recorded step, and what is said now at every version.

    Many of these are the same words (what is said now is what the history records next); each pair of
    stand-in and value words is checked once.
    """
    words = list(wording.say_history(snapshots[-1], format=format))  # type: ignore[arg-type]  # a Case, as read
    for snapshot in snapshots:
        words += wording.say_next(snapshot, format=format)  # type: ignore[arg-type]  # a Case, as read
    return [word.text for word in words]


@functools.cache
def said_with_stand_ins(wording: str, path: str, format: Format) -> list[str]:
    return said(WORDINGS[wording], PATHS[path], format)


def said_with(wording: str, path: str, values: Fields, format: Format) -> list[str]:
    return said(WORDINGS[wording], swapped(PATHS[path], values), format)


# -- the checks, per format ------------------------------------------------------------------------------------


def pairs(wording: str, path: str, values: Fields, format: Format) -> list[tuple[str, str]]:
    """Each different pair of words: with the stand-ins, and with the values."""
    expected = said_with_stand_ins(wording, path, format)
    actual = said_with(wording, path, values, format)
    return list(dict.fromkeys(zip(expected, actual, strict=True)))


def text_problems(wording: str, path: str, values: Fields) -> list[str]:
    return [
        f"{expected[:30]!r}...: not the stand-in words with the values put in"
        for expected, actual in pairs(wording, path, values, "text")
        if _swap(expected, values, said=True) != actual
    ]


markdown_read_stand_ins = functools.cache(markdown_read)


def markdown_problems(wording: str, path: str, values: Fields) -> list[str]:
    problems = []
    for i, (expected_source, source) in enumerate(pairs(wording, path, values, "markdown")):
        expected_structure, expected_text, _ = markdown_read_stand_ins(expected_source)
        structure, text, links = markdown_read(source)
        problems += [
            f"{i}: {kind.strip()} in the output"
            for kind in structure
            if kind.split("/")[0].strip() not in ALLOWED_MARKDOWN
        ]
        if structure != expected_structure:
            problems.append(f"{i}: the structure differs from the stand-in structure")
        if text != " ".join(_swap(expected_text, values, said=True).split()):
            problems.append(f"{i}: the text does not read back as the values")
        problems += [f"{i}: a link to {link[:40]!r}" for link in links if not link.startswith(URL)]
    return problems


def html_problems(wording: str, path: str, values: Fields) -> list[str]:
    problems = []
    for i, (expected_source, source) in enumerate(pairs(wording, path, values, "html")):
        expected, actual = html_read(expected_source), html_read(source)
        if actual.tags != expected.tags:
            problems.append(f"{i}: the tags differ from the stand-in tags")
        if "".join(actual.text) != _swap("".join(expected.text), values, said=True):
            problems.append(f"{i}: the text is not the values")
        if [link for link in actual.links if not link.startswith(URL)]:
            problems.append(f"{i}: a link elsewhere")
    return problems


CHECKS = {"text": text_problems, "markdown": markdown_problems, "html": html_problems}

wordings = st.sampled_from(sorted(WORDINGS))
paths = st.sampled_from(sorted(PATHS))


# each example drives a case along a path and reads every prefix back; every hostile value of NASTY
# runs at every step below (test_each_nasty_value_stays_text_at_every_step)
@settings(max_examples=examples(200))
@given(wording=wordings, path=paths, values=fields_strategy)
def test_step_words_hold_every_value_verbatim(wording: str, path: str, values: Fields) -> None:
    assert text_problems(wording, path, values) == []


@settings(max_examples=examples(100))  # see above; and Markdown parses slowly the brace runs of thousands
@given(wording=wordings, path=paths, values=fields_strategy)
def test_step_words_let_no_value_become_markdown(wording: str, path: str, values: Fields) -> None:
    assert markdown_problems(wording, path, values) == []


@given(wording=wordings, path=paths, values=fields_strategy)
def test_step_words_let_no_value_become_html(wording: str, path: str, values: Fields) -> None:
    assert html_problems(wording, path, values) == []


@pytest.mark.parametrize("value", NASTY_MARKED)
def test_each_nasty_value_stays_text_at_every_step(value: str) -> None:
    values = uniform(value)
    for path in PATHS:
        texts = said_with("every slot", path, values, "text")
        assert not [text for text in texts if "<class" in text or "49" in text.replace(value, "")], path
        assert text_problems("every slot", path, values) == []
    # the path with the most kinds of words: a name, a reason, a numbered list and a bulleted item, links
    assert markdown_problems("every slot", "reported", values) == []


def test_every_field_reaches_the_words_of_some_step() -> None:
    everything = "".join(text for path in PATHS for text in said_with_stand_ins("every slot", path, "text"))
    for name, stand_in in STAND_INS.items():
        assert stand_in in everything, name
    built_in = "".join(text for path in PATHS for text in said_with_stand_ins("built-in templates", path, "text"))
    for name, stand_in in STAND_INS.items():
        assert (stand_in in built_in) is (name != "request"), name  # the built-in words do not quote the request


# -- the checks have teeth: each catches a deliberately broken writer --------------------------------------------

BREAKING = Fields(
    **{
        **dict.fromkeys((field.name for field in fields(Fields)), "*em* <b>bold</b> [a](https://evil.example) {{"),
        "description_2": "# a heading",  # the final back-up offer: a bulleted item that starts with a value
        "directions_2": "- a list",
    }
)


@pytest.mark.parametrize(
    ("target", "broken", "format"),
    [
        # text that unescapes doubled braces, as a second str.format pass would
        ("_text_inline", lambda original: lambda segments: original(segments).replace("{{", "{"), "text"),
        # Markdown that collapses whitespace but escapes nothing
        ("_md_text", lambda original: lambda text: re.sub(r"\s+", " ", text), "markdown"),
        # Markdown that escapes inline characters but not a block marker at the start of a line
        ("_MD_LINE_START", lambda original: re.compile(r"(?!)"), "markdown"),
        # HTML that escapes nothing
        ("html", lambda original: types.SimpleNamespace(escape=lambda text, quote=True: text), "html"),
    ],
)
def test_the_checks_catch_a_broken_writer(
    monkeypatch: pytest.MonkeyPatch, target: str, broken: Callable[[Any], Any], format: Format
) -> None:
    check = CHECKS[format]
    assert check("built-in templates", "reported", BREAKING) == []
    monkeypatch.setattr(document, target, broken(getattr(document, target)))
    assert check("built-in templates", "reported", BREAKING) != []


def test_the_checks_catch_a_value_that_is_formatted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that ran str.format over the manager's reason (as a naive template engine would) is caught."""
    values = dataclasses.replace(uniform("plain"), reason="{{0}} and {{1}}")
    assert text_problems("built-in templates", "reported", values) == []
    original = Wording._fact

    def formatting(self: Wording, fact: Any) -> Any:
        filled = original(self, fact)
        return tuple(part.format() if isinstance(part, str) else part for part in filled)

    monkeypatch.setattr(Wording, "_fact", formatting)
    said_with_stand_ins.cache_clear()
    try:
        assert text_problems("built-in templates", "reported", values) != []
    finally:
        said_with_stand_ins.cache_clear()


def test_the_formats_are_all_checked() -> None:
    assert set(CHECKS) == set(FORMATS)
