"""The template language of the wording: text with named slots, and nothing else.

``"I'll call you back by {callback_time}."``: a slot is a lower-case name in
braces. ``{{`` and ``}}`` write a literal brace (so ``{{{name}}}`` is a slot in
braces; but a pair of them around text, ``{{ name }}``, is taken for Jinja
and refused). That is the whole
language:

- no attribute access (``{remedy.kind}``), indexing (``{alternatives[0]}``),
  format specifications (``{total:>10}``), conversions (``{reason!r}``) or
  positional slots (``{}``, ``{0}``);
- no other template language: ``{{ name }}`` and ``{% if %}`` (Jinja),
  ``${name}`` (shell, JavaScript) and ``%(name)s`` or ``%s`` (printf) are
  refused rather than copied out as text, since whoever wrote them expected
  them to do something.

A template is parsed once, when its policy loads, into literal text and slot
names. Filling it only puts values next to literal text: a value is never
parsed, so whatever a value holds (braces, ``%s``, ``{0.__class__}``) comes out
exactly as it went in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Slot", "Template", "TemplateSyntaxError", "parse_template"]

SLOT_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_BRACE: Final = re.compile(r"\{\{|\}\}|\{|\}")
_JINJA: Final = "is a Jinja-style expression"
_DOLLAR: Final = "is a ${...} placeholder"
_FOREIGN: Final = (
    # "{{ name }}" alone; "{{{name}}}" is a literal brace, a slot and a literal brace, as "{{" and "}}" write.
    (re.compile(r"(?<!\{)\{\{[^{}]+\}\}(?!\})"), _JINJA),
    (re.compile(r"\{%|%\}"), "is a Jinja-style statement"),
    (re.compile(r"\$\{"), _DOLLAR),
    (re.compile(r"(?<![\w%])%(?:\([^)]{0,40}\))?[sdifrx](?!\w)"), "is a printf-style placeholder"),
)
_HINT: Final = "templates use named slots only, such as {remedy}; write {{ and }} for a literal brace"


class TemplateSyntaxError(ValueError):
    """A template that is not text with named slots; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Slot:
    """A named slot in a template: ``{name}``."""

    name: str


Part = str | Slot
"""A piece of a template line: literal text or a slot."""


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: its lines, each a sequence of literal text and slots."""

    source: str
    lines: tuple[tuple[Part, ...], ...]

    @property
    def slots(self) -> frozenset[str]:
        """The names of every slot the template uses."""
        return frozenset(part.name for line in self.lines for part in line if isinstance(part, Slot))

    def literal_text(self, slot_stand_in: str = " ") -> str:
        """The template's own words, with ``slot_stand_in`` where each slot is (for the phrase check)."""
        return "\n".join(
            "".join(part if isinstance(part, str) else slot_stand_in for part in line) for line in self.lines
        )


def _where(text: str, at: int) -> str:
    return f"at character {at + 1}"


def _snippet(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _slot_problem(inner: str) -> str:
    """Why ``{inner}`` is not a slot."""
    if inner.strip() == "" or inner.isdigit():
        return "is a positional slot; name the slot, such as {remedy}"
    if "." in inner:
        return "reaches into a slot's attributes; use the slot as a whole, such as {remedy}"
    if "[" in inner or "]" in inner:
        return "indexes into a slot; use the slot as a whole, such as {alternatives}"
    if ":" in inner:
        return "has a format specification; slots are filled with ready-made text, so write the slot alone"
    if "!" in inner:
        return "has a conversion; slots are filled with ready-made text, so write the slot alone"
    if "(" in inner or ")" in inner:
        return "is code; templates do not run code"
    return "is not a slot name: a slot is a lower-case name of letters, digits and '_', such as {callback_time}"


def parse_template(text: str) -> Template:
    """Parse ``text``; :class:`TemplateSyntaxError` says what is wrong and where."""
    for pattern, what in _FOREIGN:
        found = pattern.search(text)
        if found:
            hint = _HINT
            if what == _JINJA:
                hint = "templates use named slots only: write {name} for a slot"
            elif what == _DOLLAR:  # '$' right before a brace is refused even before '{{': say what to write instead
                hint = "templates use named slots only, such as {remedy}; an amount is said with its currency already"

            raise TemplateSyntaxError(
                f"{_snippet(found.group())!r} ({_where(text, found.start())}) {what}, not a slot; {hint}"
            )
    lines: list[tuple[Part, ...]] = []
    line: list[Part] = []
    literal: list[str] = []

    def flush_literal() -> None:
        if literal:
            chunks = "".join(literal).split("\n")
            for i, chunk in enumerate(chunks):
                if i:
                    lines.append(tuple(line))
                    line.clear()
                if chunk:
                    line.append(chunk)
            literal.clear()

    at = 0
    while True:
        found = _BRACE.search(text, at)
        if found is None:
            literal.append(text[at:])
            break
        literal.append(text[at : found.start()])
        token = found.group()
        if token in ("{{", "}}"):
            literal.append(token[0])
            at = found.end()
            continue
        if token == "}":  # noqa: S105 - a brace, not a password
            raise TemplateSyntaxError(f"a lone '}}' ({_where(text, found.start())}) closes no slot; {_HINT}")
        close = text.find("}", found.end())
        opener = text.find("{", found.end())
        if close == -1 or (opener != -1 and opener < close):
            raise TemplateSyntaxError(f"a '{{' ({_where(text, found.start())}) opens a slot it never closes; {_HINT}")
        inner = text[found.end() : close]
        if not SLOT_NAME.fullmatch(inner):
            raise TemplateSyntaxError(
                f"{_snippet('{' + inner + '}')!r} ({_where(text, found.start())}) {_slot_problem(inner)}"
            )
        flush_literal()
        line.append(Slot(inner))
        at = close + 1
    flush_literal()
    lines.append(tuple(line))
    return Template(text, tuple(lines))
