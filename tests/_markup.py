"""Hostile text for the wording-safety tests, the free-text fields it goes into, and readers of the output.

``NASTY`` and ``nasty`` are format strings, template syntax, markup and huge brace runs;
:class:`Fields` holds a value for every free-text field that reaches what an employee says, and
``Fields.stand_ins()`` plain stand-ins to compare with; ``markdown_read`` and ``html_read`` read
an output back as a CommonMark or HTML parser does (``ALLOWED_MARKDOWN``: the only Markdown
structure the wording may produce). ``test_wording_safety.py`` and ``test_wording_steps_safety.py``
feed these to the resolution's words and to a case's step words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from html.parser import HTMLParser

import pytest
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from recovery_rules._wording._locale import MESSAGES

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

NASTY_MARKED = [pytest.param(value, marks=pytest.mark.slow) if len(value) > 1_000 else value for value in NASTY]
"""``NASTY`` for ``pytest.mark.parametrize``, the brace runs of thousands marked slow (seconds each in Markdown)."""

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


def web_address(text: str) -> str:
    """The web address an alternative gets for ``text``: ``URL`` and ``text`` without its white space and controls."""
    return URL + re.sub("[\\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)[:1900] or "x"


def _fits(name: str) -> st.SearchStrategy[str]:
    """Nasty text within what the field accepts: contacts are at most 500 characters, descriptions and names
    not blank."""
    if name.startswith("contact"):  # a blank contact or directions is no contact, left out as if not given
        return nasty.map(lambda text: text[:500]).filter(str.strip)
    if name.startswith(("description", "directions")):
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


def every_slot_templates() -> dict[str, str]:
    """A template for every message that uses every one of its slots."""
    templates = {}
    for name, spec in MESSAGES.items():
        inline = " ".join(f"[{slot}={{{slot}}}]" for slot in spec.slots if slot not in spec.lists)
        lists = "".join(f"\n{{{slot}}}" for slot in spec.slots if slot in spec.lists)
        templates[name] = f"<{name}> {inline}{lists}"
    return templates


MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
ALLOWED_MARKDOWN = {
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


def markdown_read(source: str) -> tuple[list[str], str, list[str]]:
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


class HtmlReader(HTMLParser):
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


def html_read(source: str) -> HtmlReader:
    reader = HtmlReader()
    reader.feed(source)
    reader.close()
    return reader
