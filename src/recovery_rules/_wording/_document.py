"""What the employee says as a small document, written out as plain text, Markdown or HTML.

A document is a sequence of blocks: paragraphs, and lists (numbered, or a
bulleted one for a single offer) whose items may carry detail lines (contact,
directions, web address). The words come from
templates and from data (alternatives' descriptions, names, amounts); all of
it is plain text, and the writer adds the structure. So the writers escape
every word they are given:

- ``"text"``: as is. Nothing in plain text is interpreted.
- ``"markdown"``: every character CommonMark or GitHub-flavoured Markdown
  gives a meaning inline is backslash-escaped, as is a block marker at the
  start of a line (``#``, ``>``, ``-``, ``+``, ``=``, ``1.``), and runs of
  whitespace (line breaks included) become one space, as a Markdown renderer
  would show them anyway. Complaint text cannot open a link, an image, HTML,
  emphasis, code, a heading, a list or a table. The only links written are
  the alternatives' web addresses, and only ``http``/``https`` ones (a
  renderer that turns every bare web address into a link, as GitHub's does,
  still does so in complaint text, as it would in any plain text).
- ``"html"``: every word is HTML-escaped (``<``, ``>``, ``&``; quotes too inside a link's ``href``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

__all__ = ["FORMATS", "Block", "Format", "Item", "ItemList", "Link", "Paragraph", "Segments", "write"]

Format = Literal["text", "markdown", "html"]
FORMATS: Final[tuple[Format, ...]] = ("text", "markdown", "html")


@dataclass(frozen=True, slots=True)
class Link:
    """A web address, written as a link where the format has links."""

    url: str


Segments = tuple[str | Link, ...]
"""Inline content: plain text and links."""


@dataclass(frozen=True, slots=True)
class Paragraph:
    segments: Segments


@dataclass(frozen=True, slots=True)
class Item:
    """An item of a list: its text, and detail lines under it."""

    text: Segments
    details: tuple[Segments, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemList:
    """A list of items: numbered (the alternatives to choose from), or bulleted (one offer on its own)."""

    items: tuple[Item, ...]
    numbered: bool = True


Block = Paragraph | ItemList

_SAFE_URL: Final = re.compile(r"https?://[^\s]+")

# -- plain text -----------------------------------------------------------------


def _text_inline(segments: Segments) -> str:
    return "".join(segment.url if isinstance(segment, Link) else segment for segment in segments)


def _lines(blocks: Sequence[Block], inline: Callable[[Segments], str], detail_marker: str) -> str:
    """Paragraphs and lists, for the two formats that are lines of text."""
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(inline(block.segments))
            continue
        lines = []
        for number, item in enumerate(block.items, start=1):
            marker = f"{number}. " if block.numbered else "- "
            lines.append(marker + inline(item.text))
            # A detail that writes nothing is left out: "   - " alone would underline the item as a heading.
            details = (inline(detail) for detail in item.details)
            lines.extend(" " * len(marker) + detail_marker + said for said in details if said.strip())
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _text(blocks: Sequence[Block]) -> str:
    return _lines(blocks, _text_inline, "")


# -- Markdown -------------------------------------------------------------------

# Inline meaning in CommonMark or GFM: escapes, code, emphasis, links and images, HTML and autolinks,
# entities, tables, strikethrough; and, in widely used extensions, math ($), super/subscript (^) and
# attribute lists ({}).
_MD_INLINE: Final = re.compile(r"([\\`*_\[\]<>&|~$^{}])")
_MD_LINE_START: Final = re.compile(r"[#>+=-]|[0-9]{1,9}(?=[.)])")
_URL_SAFE: Final = "-._~:/?#@!$&'*+,;=%"


def _md_text(text: str) -> str:
    return _MD_INLINE.sub(r"\\\1", re.sub(r"\s+", " ", text))


def _md_inline(segments: Segments) -> str:
    parts = []
    for segment in segments:
        if isinstance(segment, Link) and _SAFE_URL.fullmatch(segment.url):
            parts.append(f"[{_md_text(segment.url)}](<{quote(segment.url, safe=_URL_SAFE)}>)")
        else:
            parts.append(_md_text(segment.url if isinstance(segment, Link) else segment))
    line = re.sub(r" {2,}", " ", "".join(parts)).strip()
    start = _MD_LINE_START.match(line)
    if start is None:
        return line
    if start.group()[0].isdigit():  # "1." would start an ordered list: escape the "." or ")"
        return line[: start.end()] + "\\" + line[start.end() :]
    return "\\" + line


def _markdown(blocks: Sequence[Block]) -> str:
    return _lines(blocks, _md_inline, "- ")


# -- HTML -----------------------------------------------------------------------


def _html_inline(segments: Segments) -> str:
    parts = []
    for segment in segments:
        if isinstance(segment, Link) and _SAFE_URL.fullmatch(segment.url):
            url = html.escape(segment.url, quote=True)
            parts.append(f'<a href="{url}">{url}</a>')
        else:
            parts.append(html.escape(segment.url if isinstance(segment, Link) else segment, quote=False))
    return "".join(parts)


def _html(blocks: Sequence[Block]) -> str:
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(f"<p>{_html_inline(block.segments)}</p>")
            continue
        tag = "ol" if block.numbered else "ul"
        out.append(f"<{tag}>")
        for item in block.items:
            details = "".join(f"<li>{_html_inline(detail)}</li>" for detail in item.details)
            out.append(f"<li>{_html_inline(item.text)}" + (f"<ul>{details}</ul>" if details else "") + "</li>")
        out.append(f"</{tag}>")
    return "\n".join(out)


_WRITERS: Final = {"text": _text, "markdown": _markdown, "html": _html}


def write(blocks: Sequence[Block], format: Format) -> str:
    """``blocks`` written in ``format`` (one of :data:`FORMATS`)."""
    return _WRITERS[format](blocks)
