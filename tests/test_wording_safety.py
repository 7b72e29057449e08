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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from recovery_rules import Alternative, Money, Outcome, Policy, Remedy, Resolution, Wording
from recovery_rules import _document as document
from recovery_rules._locale import MESSAGES

from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)
URL = "https://example.com/"

NASTY = [
    "{x}",
    "{{",
    "}}",
    "{{x}}",
    "{}",
    "{0}",
    "${x}",
    "{0.__class__}",
    "{0.__class__.__mro__[1].__subclasses__()}",
    "{remedy}",
    "{callback_time}",
    "{alternatives}",
    "%s",
    "%(name)s",
    "%d%%",
    "{{ customer.name }}",
    "{{ 7*7 }}",
    "{% for x in range(9) %}{{ x }}{% endfor %}",
    "#{7*7}",
    "<script>alert(1)</script>",
    "<b>bold</b> &amp; &copy; &#x27;",
    "*em* **strong** _u_ `code` ~~strike~~ $math$",
    "[a link](javascript:alert(1)) ![an image](https://evil.example/x.png) <https://evil.example>",
    "# a heading",
    "> a quote",
    "- a list",
    "1. a list",
    "2) a list",
    "+ a list",
    "=== a setext",
    "---",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\ncode\n```",
    "    indented code",
    "a line\n\n# then a heading\n- and a list",
    "trailing hard break  \nnext",
    "back\\slash\\",
    "\\*not em\\*",
    "\u202eright-to-left",
    "  spaced  out  ",
    "{" * 9_999,
    "}" * 9_999,
    "{}" * 4_999,
]

_CHARACTERS = st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=("Cs", "Co"))
nasty = st.one_of(
    st.sampled_from(NASTY),
    st.text(_CHARACTERS, min_size=1, max_size=40),
    st.text(st.sampled_from("{}[]()<>*_`#%$!\\|~&;.-+= \n"), min_size=1, max_size=40),
    st.lists(st.sampled_from(NASTY[:40]), min_size=2, max_size=5).map("".join),
    st.tuples(st.sampled_from("{}"), st.integers(1, 9_999)).map(lambda pair: pair[0] * pair[1]),
)


@dataclass(frozen=True)
class Fields:
    """Every free-text field that reaches what the employee says."""

    customer_name: str
    request: str
    reason: str
    description_0: str
    description_1: str
    description_2: str
    contact_0: str
    contact_1: str
    directions_0: str
    directions_2: str
    url_0: str
    url_1: str

    @classmethod
    def stand_ins(cls) -> Fields:
        return cls(**{field.name: f"\ue000{i}\ue001" for i, field in enumerate(fields(cls))})

    def items(self) -> Iterator[tuple[str, str]]:
        for field in fields(self):
            yield field.name, getattr(self, field.name)


def _url(text: str) -> str:
    return URL + re.sub(r"\s", "", text)[:1900] or "x"


def _fits(name: str) -> st.SearchStrategy[str]:
    """Nasty text within what the field accepts: contacts are at most 500 characters, descriptions and names
    not blank."""
    if name.startswith("contact"):
        return nasty.map(lambda text: text[:500])
    if name.startswith("description"):
        return nasty.filter(str.strip)
    if name == "customer_name":
        return nasty.filter(str.strip)  # a blank name is no name: the apology is then not addressed to anyone
    return nasty


fields_strategy = st.builds(Fields, **{field.name: _fits(field.name) for field in fields(Fields)})


def uniform(value: str) -> Fields:
    """``value`` in every field, as far as each field takes it."""
    return Fields(
        **{
            field.name: value[:500] if field.name.startswith("contact") else value if value.strip() else "x" + value
            for field in fields(Fields)
        }
    )


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
            url=_url(getattr(values, f"url_{i}")) if hasattr(values, f"url_{i}") else None,
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


def every_slot_templates() -> dict[str, str]:
    """A template for every message that uses every one of its slots."""
    templates = {}
    for name, spec in MESSAGES.items():
        inline = " ".join(f"[{slot}={{{slot}}}]" for slot in spec.slots if slot not in spec.lists)
        lists = "".join(f"\n{{{slot}}}" for slot in spec.slots if slot in spec.lists)
        templates[name] = f"<{name}> {inline}{lists}"
    return templates


BUILT_IN_POLICY = Policy.model_validate(policy_data())
EVERY_SLOT_POLICY = Policy.model_validate(policy_data(wording={"en": {"messages": every_slot_templates()}}))
POLICIES = {"built-in templates": BUILT_IN_POLICY, "every slot": EVERY_SLOT_POLICY}


def said(policy: Policy, outcome: Outcome, values: Fields, format: document.Format) -> str:
    return Wording(policy).say(resolution(outcome, values), format=format, customer_name=values.customer_name)


def put_in(text: str, stand_ins: Fields, values: Fields, *, as_url: bool = False) -> str:
    """``text`` with each stand-in replaced by its value (as it is written into a web address, if so)."""
    for (name, stand_in), (_, value) in zip(stand_ins.items(), values.items(), strict=True):
        text = text.replace(stand_in, _url(value)[len(URL) :] if name.startswith("url") else value)
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
            assert _url(value) in text
            continue
        quoted = name != "request" or policy is EVERY_SLOT_POLICY  # the built-in wording does not quote the request
        if quoted and (name != "reason" or outcome is not Outcome.APPROVED):  # an approval needs no reason
            assert value in text, name


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

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_ALLOWED_MARKDOWN = {
    "paragraph_open",
    "paragraph_close",
    "ordered_list_open",
    "ordered_list_close",
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
    "inline",
    "text",
    "link_open",
    "link_close",
}


def _markdown_read(source: str) -> tuple[list[str], str, list[str]]:
    """The token structure, the text a reader sees, and the links."""
    structure, texts, links = [], [], []
    for token in MARKDOWN.parse(source):
        structure.append(f"{token.type}/{token.level}")
        for child in token.children or ():
            structure.append(f"  {child.type}")
            if child.type == "text":
                texts.append(child.content)
            elif child.type == "link_open":
                links.append(str(child.attrs.get("href", "")))
        texts.append(" ")
    return structure, " ".join(" ".join(texts).split()), links


def markdown_problems(policy: Policy, outcome: Outcome, values: Fields) -> list[str]:
    stand_ins = Fields.stand_ins()
    expected_structure, expected_text, _ = _markdown_read(said(policy, outcome, stand_ins, "markdown"))
    structure, text, links = _markdown_read(said(policy, outcome, values, "markdown"))
    problems = [
        f"{kind.strip()} in the output" for kind in structure if kind.split("/")[0].strip() not in _ALLOWED_MARKDOWN
    ]
    if structure != expected_structure:
        problems.append("the structure differs from the stand-in structure")
    if text != " ".join(put_in(expected_text, stand_ins, values).split()):
        problems.append("the text does not read back as the values")
    problems += [f"a link to {link[:40]!r}" for link in links if not link.startswith(URL)]
    return problems


@given(policy=st.sampled_from(list(POLICIES.values())), outcome=st.sampled_from(Outcome), values=fields_strategy)
def test_markdown_lets_no_value_become_markup(policy: Policy, outcome: Outcome, values: Fields) -> None:
    assert markdown_problems(policy, outcome, values) == []


@pytest.mark.parametrize("value", NASTY)
def test_each_nasty_value_stays_text_in_markdown(value: str) -> None:
    values = uniform(value)
    for outcome in Outcome:
        assert markdown_problems(EVERY_SLOT_POLICY, outcome, values) == []


# -- HTML: the same tags, and the values as text ------------------------------------------------


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(f"<{tag} {sorted(name for name, _ in attrs)}>")
        self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html_read(source: str) -> _Reader:
    reader = _Reader()
    reader.feed(source)
    reader.close()
    return reader


def html_problems(policy: Policy, outcome: Outcome, values: Fields) -> list[str]:
    stand_ins = Fields.stand_ins()
    expected = _html_read(said(policy, outcome, stand_ins, "html"))
    actual = _html_read(said(policy, outcome, values, "html"))
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
