"""The documentation's pages and their fenced code blocks, for the tests that read or run them.

``blocks(page)`` reads a page's blocks the way MkDocs shows them: ``--8<-- "path"`` lines include
files as ``pymdownx.snippets`` does, an indented fence (in a tab or an admonition) loses its
indentation, a ``title="policy.toml"`` names the file a block shows, and a
``<!-- requires: module -->`` line before a fence names the module it needs.
``load_tool(name)`` imports one of the scripts of ``docs/_tools``.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_OPEN = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
SNIPPET = re.compile(r'^(?P<indent>[ \t]*)-+8<-+[ \t]+"(?P<path>[^"]+)"[ \t]*$')
_SNIPPET_BLOCK = re.compile(r"^[ \t]*-+8<-+[ \t]*$")
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_FILE_NAME = re.compile(r"[\w.-]+(/[\w.-]+)*\.\w+")
_REQUIRES = re.compile(r"^\s*<!-- requires: (?P<module>[\w.]+) -->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    language: str
    title: str
    code: str
    requires: str | None = None
    """A module the block needs, from a ``<!-- requires: module -->`` line just before it."""

    @property
    def id(self) -> str:
        page = self.page.relative_to(DOCS).as_posix() if self.page.is_relative_to(DOCS) else self.page.name
        return f"{page}:{self.line}"

    @property
    def file_name(self) -> str | None:
        """The file this block shows, when its title is a file name (``policy.toml``)."""
        return self.title if _FILE_NAME.fullmatch(self.title) else None


def include_snippets(text: str, base: Path = ROOT) -> str:
    """``text`` with each ``--8<-- "path"`` line replaced by the file, as pymdownx.snippets does."""
    lines = []
    for line in text.splitlines():
        if _SNIPPET_BLOCK.match(line):
            raise AssertionError("block-form snippets are not supported by the docs tests; include one file a line")
        match = SNIPPET.match(line)
        if match is None:
            lines.append(line)
            continue
        path, *span = match["path"].split(":")
        content = (base / path).read_text(encoding="utf-8").splitlines()
        if span:
            start, end = (int(number) if number else None for number in (*span, "")[:2])
            content = content[(start or 1) - 1 : end]
        lines.extend(match["indent"] + included if included else "" for included in content)
    return "\n".join(lines) + "\n"


def blocks(page: Path, base: Path = ROOT) -> list[Block]:
    """The fenced code blocks of ``page``, with snippets included."""
    lines = include_snippets(page.read_text(encoding="utf-8"), base).splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = _OPEN.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence, info = len(opening["indent"]), opening["fence"], opening["info"].strip()
        closing = re.compile(rf"^ {{0,{indent}}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = "\n".join(_dedent(line, indent) for line in lines[i + 1 : end])
        language = info.split(maxsplit=1)[0].lstrip(".{") if info else ""
        title = dict(_ATTRIBUTE.findall(info)).get("title", "")
        before = next((line for line in reversed(lines[:i]) if line.strip()), "")
        requires = _REQUIRES.match(before)
        found.append(Block(page, i + 1, language, title, body + "\n", requires["module"] if requires else None))
        i = end + 1
    return found


def _dedent(line: str, indent: int) -> str:
    """``line`` without the indentation of its fence (a block inside a tab or an admonition)."""
    return line[indent:] if not line[:indent].strip() else line.lstrip(" ")


def pages() -> list[Path]:
    return sorted(path for path in DOCS.rglob("*.md") if "_tools" not in path.parts)


def load_tool(name: str) -> ModuleType:
    """A module of docs/_tools (they are scripts, not part of the package)."""
    spec = importlib.util.spec_from_file_location(f"docs_tools_{name}", DOCS / "_tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
