"""Text from a complaint is inserted as text, never interpreted, in every format.

Every field that reaches what the employee says (the customer's name, the
request, the reason, each alternative's description, contact, directions and
web address) is fed format strings, template syntax, markup and huge brace
runs, through the built-in templates and through templates that use every
slot of every message. Each check compares the output with the output for
plain stand-in values:

- plain text: the output is the stand-in output with each stand-in replaced by
  its value, character for character (so nothing was evaluated or changed);
- Markdown, read back by a CommonMark parser, and HTML, read back by an HTML
  parser: the same structure (paragraphs, lists, links) as with the stand-ins,
  and the same text once the values are put in.

The last tests break the escaping on purpose and show these checks catch it.
"""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Alternative, Money, Outcome, Policy, Remedy, Resolution, Wording
from recovery_rules._wording import _document as document
from recovery_rules._wording._locale import MESSAGES

from ._helpers import examples, policy_data
from ._markup import (
    ALLOWED_MARKDOWN,
    NASTY,
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


def resolution(outcome: Outcome, values: Fields) -> Resolution:
    alternatives = tuple(
        Alternative(
            id=f"alt-{i}",
            kind=f"kind_{i}",
            description=getattr(values, f"description_{i}"),
            value=Money("0.00", "USD"),
            applies_to=("*",),
            contact=getattr(values, f"contact_{i}", None),
            directions=getattr(values, f"directions_{i}", None),
            url=web_address(getattr(values, f"url_{i}")) if hasattr(values, f"url_{i}") else None,
            refers_elsewhere=i == 1,
        )
        for i in range(3)
    )
    common: dict[str, Any] = {
        "complaint_number": "20261123-10442",
        "policy": "Test hotel",
        "outcome": outcome,
        "remedy": Remedy(kind="refund", amount=Money("250.00", "USD"), description=values.request),
        "acting_level": "staff",
        "granted_before": Money("0.00", "USD"),
        "total": Money("250.00", "USD"),
        "reason": values.reason,
        "decided_at": NOW,
    }
    if outcome is Outcome.APPROVED:
        return Resolution(**common, authorized_by="staff", delivered_by="staff", suggestions=alternatives)
    if outcome is Outcome.ESCALATED:
        return Resolution(
            **common,
            escalate_to="manager",
            callback_by=NOW + dt.timedelta(hours=2),
            delivered_by="staff",
            alternatives=alternatives,
        )
    return Resolution(**common, delivered_by="manager", alternatives=alternatives)


BUILT_IN_POLICY = Policy.model_validate(policy_data())
EVERY_SLOT_POLICY = Policy.model_validate(policy_data(wording={"en": {"messages": every_slot_templates()}}))
POLICIES = {"built-in templates": BUILT_IN_POLICY, "every slot": EVERY_SLOT_POLICY}


def said(policy: Policy, outcome: Outcome, values: Fields, format: document.Format) -> str:
    return Wording(policy).say(resolution(outcome, values), format=format, customer_name=values.customer_name)


def as_said(name: str, value: str) -> str:
    """``value`` of the field ``name`` as the words put it in: a customer's name without the white space around it,
    each run inside it one space (as a person says it); every other field character for character."""
    return " ".join(value.split()) if name == "customer_name" else value


def put_in(text: str, stand_ins: Fields, values: Fields) -> str:
    """``text`` with each stand-in replaced by its value (a web address field as it is written into one)."""
    for (name, stand_in), (_, value) in zip(stand_ins.items(), values.items(), strict=True):
        text = text.replace(
            stand_in, web_address(value)[len(URL) :] if name.startswith("url") else as_said(name, value)
        )
    return text


# -- plain text: the values, character for character -------------------------------------


def text_problems(policy: Policy, outcome: Outcome, values: Fields) -> list[str]:
    stand_ins = Fields.stand_ins()
    expected = put_in(said(policy, outcome, stand_ins, "text"), stand_ins, values)
    actual = said(policy, outcome, values, "text")
    if actual != expected:
        return ["the text is not the stand-in text with the values put in"]
    return []


@given(policy=st.sampled_from(list(POLICIES.values())), outcome=st.sampled_from(Outcome), values=fields_strategy)
def test_text_holds_every_value_verbatim(policy: Policy, outcome: Outcome, values: Fields) -> None:
    assert text_problems(policy, outcome, values) == []
    text = said(policy, outcome, values, "text")
    for name, value in values.items():
        if name.startswith("url"):
            assert web_address(value) in text
            continue
        quoted = name != "request" or policy is EVERY_SLOT_POLICY  # the built-in wording does not quote the request
        if quoted and (name != "reason" or outcome is not Outcome.APPROVED):  # an approval needs no reason
            assert as_said(name, value) in text, name


@pytest.mark.parametrize("outcome", Outcome)
def test_every_field_reaches_every_slot_template(outcome: Outcome) -> None:
    stand_ins = Fields.stand_ins()
    text = said(EVERY_SLOT_POLICY, outcome, stand_ins, "text")
    for name, stand_in in stand_ins.items():
        if name != "reason" or outcome is not Outcome.APPROVED:
            assert stand_in in text, name
    for message in MESSAGES:
        if not message.startswith(("time_", "reason_", "money_code", "remedy_free", "apology")):
            assert f"<{message}>" in text or outcome.value not in message, message


@pytest.mark.parametrize("value", NASTY)
def test_nothing_in_a_value_is_evaluated(value: str) -> None:
    values = uniform(value)
    for outcome in Outcome:
        text = said(EVERY_SLOT_POLICY, outcome, values, "text")
        assert "<class" not in text
        assert "49" not in text.replace(value, "")
        assert text_problems(EVERY_SLOT_POLICY, outcome, values) == []


# -- Markdown: the same structure, and the values read back as text ----------------------------


def markdown_problems(policy: Policy, outcome: Outcome, values: Fields) -> list[str]:
    stand_ins = Fields.stand_ins()
    expected_structure, expected_text, _ = markdown_read(said(policy, outcome, stand_ins, "markdown"))
    structure, text, links = markdown_read(said(policy, outcome, values, "markdown"))
    problems = [
        f"{kind.strip()} in the output" for kind in structure if kind.split("/")[0].strip() not in ALLOWED_MARKDOWN
    ]
    if structure != expected_structure:
        problems.append("the structure differs from the stand-in structure")
    if text != " ".join(put_in(expected_text, stand_ins, values).split()):
        problems.append("the text does not read back as the values")
    problems += [f"a link to {link[:40]!r}" for link in links if not link.startswith(URL)]
    return problems


# every hostile value of NASTY runs alone below (test_each_nasty_value_stays_text_in_markdown); here, mixtures
@settings(max_examples=examples(150))
@given(policy=st.sampled_from(list(POLICIES.values())), outcome=st.sampled_from(Outcome), values=fields_strategy)
def test_markdown_lets_no_value_become_markup(policy: Policy, outcome: Outcome, values: Fields) -> None:
    assert markdown_problems(policy, outcome, values) == []


@pytest.mark.parametrize("value", NASTY_MARKED)
def test_each_nasty_value_stays_text_in_markdown(value: str) -> None:
    values = uniform(value)
    for outcome in Outcome:
        assert markdown_problems(EVERY_SLOT_POLICY, outcome, values) == []


# -- HTML: the same tags, and the values as text ------------------------------------------------


def html_problems(policy: Policy, outcome: Outcome, values: Fields) -> list[str]:
    stand_ins = Fields.stand_ins()
    expected = html_read(said(policy, outcome, stand_ins, "html"))
    actual = html_read(said(policy, outcome, values, "html"))
    problems = []
    if actual.tags != expected.tags:
        problems.append("the tags differ from the stand-in tags")
    if "".join(actual.text) != put_in("".join(expected.text), stand_ins, values):
        problems.append("the text is not the values")
    if [link for link in actual.links if not link.startswith(URL)]:
        problems.append("a link elsewhere")
    return problems


@given(policy=st.sampled_from(list(POLICIES.values())), outcome=st.sampled_from(Outcome), values=fields_strategy)
def test_html_lets_no_value_become_markup(policy: Policy, outcome: Outcome, values: Fields) -> None:
    assert html_problems(policy, outcome, values) == []


# -- names and titles come from the policy, and are text too -------------------------------------

POLICY_SAFE = [value for value in NASTY if len(value) <= 200 and "\n" not in value]


@pytest.mark.parametrize("value", POLICY_SAFE)
def test_names_from_the_policy_are_text(value: str) -> None:
    data = policy_data(wording={"en": {"names": {"manager": value, "refund": value}}})
    policy = Policy.model_validate(data)
    escalated = resolution(Outcome.ESCALATED, Fields.stand_ins())
    text = Wording(policy).say(escalated)
    assert f"The $250.00 {value} needs approval from our {value}, because" in text


# -- the checks have teeth: each catches a deliberately broken writer ------------------------------

BREAKING = Fields(
    **{
        **dict.fromkeys((field.name for field in fields(Fields)), "*em* <b>bold</b> [a](https://evil.example) {{"),
        "description_0": "# a heading",
        "contact_0": "- a list",
    }
)


@pytest.mark.parametrize(
    ("target", "broken", "check"),
    [
        # text that unescapes doubled braces, as a second str.format pass would
        ("_text_inline", lambda original: lambda segments: original(segments).replace("{{", "{"), text_problems),
        # Markdown that collapses whitespace but escapes nothing
        ("_md_text", lambda original: lambda text: re.sub(r"\s+", " ", text), markdown_problems),
        # Markdown that escapes inline characters but not a block marker at the start of a line
        ("_MD_LINE_START", lambda original: re.compile(r"(?!)"), markdown_problems),
        # HTML that escapes nothing
        ("html", lambda original: types.SimpleNamespace(escape=lambda text, quote=True: text), html_problems),
    ],
)
def test_the_checks_catch_a_broken_writer(
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    broken: Callable[[Any], Any],
    check: Callable[[Policy, Outcome, Fields], list[str]],
) -> None:
    # the built-in templates start lines with a value ("{description}"), where block markers matter
    assert check(BUILT_IN_POLICY, Outcome.DENIED, BREAKING) == []
    monkeypatch.setattr(document, target, broken(getattr(document, target)))
    assert check(BUILT_IN_POLICY, Outcome.DENIED, BREAKING) != []


def test_stand_ins_differ_from_every_value() -> None:
    stand_ins = Fields.stand_ins()
    assert len(set(dict(stand_ins.items()).values())) == len(fields(Fields))
    assert replace(stand_ins, reason="x").reason == "x"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("a | b", "a \\| b"),  # a table's cell separator
        ("+ one", "\\+ one"),  # a bulleted list
        ("10. one", "10\\. one"),  # a numbered list, from more than one digit
        ("123456789) one", "123456789\\) one"),
    ],
)
def test_markdown_escapes_what_would_make_a_table_or_a_list(value: str, written: str) -> None:
    wording = Wording(Policy.model_validate(policy_data()))
    assert wording.render("reason_other", reason=value, format="markdown") == written


def test_markdown_writes_a_run_of_spaces_between_values_and_words_as_one() -> None:
    wording = Wording(Policy.model_validate(policy_data()))
    said = wording.render("apology_named", customer_name="  Ann  ", format="markdown")
    assert said == "I'm so sorry, Ann - let's figure this out!"
