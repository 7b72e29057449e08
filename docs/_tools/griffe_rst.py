"""A Griffe extension that lets mkdocstrings render recovery-rules' reStructuredText-flavoured docstrings.

The library's docstrings use a few reStructuredText habits (they read well in
``help()`` and in editors): Sphinx roles such as ``:class:`~recovery_rules.Policy```,
external links written ```Hypothesis <https://...>`_``, and literal blocks
introduced by ``::``. mkdocstrings renders Markdown, so this extension rewrites
them when the package is loaded, leaving the source alone:

- a role that names a public object becomes a cross-reference to its entry in
  the API reference (``[Policy][recovery_rules.Policy]``), so ``mkdocs build
  --strict`` fails if that entry is missing; a role naming anything else (the
  standard library, a private helper) becomes inline code;
- an external link becomes a Markdown link;
- a ``::`` literal block becomes a fenced code block (Python when it parses as
  Python, plain text otherwise).

It also shows the fields of the pydantic models the way a caller writes them:
``Annotated[...]`` metadata (validators, constraints) and the library's private
annotated aliases (``Word``, ``NonNegativeMoney``...) are reduced to the plain
type (``str``, ``Money``), and the fields are labelled ``field``.

``mkdocs.yml`` loads it with ``extensions: [docs/_tools/griffe_rst.py]``.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any, Final

import griffe

ROLE: Final = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):`(?P<body>[^`]+)`")
LINK: Final = re.compile(r"`(?P<text>[^`<]+?)\s*<(?P<url>https?://[^>\s]+)>`__?")
MODEL_BASE: Final = "recovery_rules._values._base.RecoveryModel"
PUBLIC_MODULES: Final = (
    "recovery_rules",
    "recovery_rules.exceptions",
    "recovery_rules.presets",
    "recovery_rules.testing",
)
"""Where public names are exported, most preferred first: an object exported by two is documented under the first."""

Resolver = Callable[[str], str | None]


def rst_to_markdown(text: str, resolve: Resolver) -> str:
    """``text`` with roles, links and literal blocks rewritten as Markdown.

    ``resolve`` maps the target of a role (``~recovery_rules.Policy``, ``Money``)
    to the public path of its API entry, or ``None`` when it has none.
    """
    return "".join(_convert_inline(part, resolve) if kind == "prose" else part for kind, part in _split_blocks(text))


def _convert_inline(text: str, resolve: Resolver) -> str:
    def role(match: re.Match[str]) -> str:
        body = match["body"].strip()
        explicit = re.fullmatch(r"(?P<label>.+?)\s*<(?P<target>[^>]+)>", body)
        if explicit:
            label, target = explicit["label"], explicit["target"]
        else:
            target = body.lstrip("~")
            label = target.rsplit(".", 1)[-1] if body.startswith("~") else target
        path = resolve(target)
        return f"[`{label}`][{path}]" if path else f"`{label}`"

    text = ROLE.sub(role, text)
    return LINK.sub(lambda match: f"[{match['text']}]({match['url']})", text)


def _split_blocks(text: str) -> Iterator[tuple[str, str]]:
    """The docstring cut into prose and fenced literal blocks, in order."""
    lines = text.splitlines(keepends=True)
    prose: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        prose.append(line)
        i += 1
        if not line.rstrip().endswith("::"):
            continue
        # The paragraph ends with "::": the indented lines after a blank line are a literal block.
        start = i
        while start < len(lines) and not lines[start].strip():
            start += 1
        indent = _indent(lines[start]) if start < len(lines) else 0
        if start == i or indent <= _indent(line):
            continue  # not a literal block after all
        end = start
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= indent):
            end += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        stripped = prose[-1].rstrip()
        ending = prose[-1][len(stripped) :]
        colon = "" if stripped == "::" or stripped.endswith(" ::") else ":"
        prose[-1] = stripped[:-2].rstrip() + colon + ending
        yield "prose", "".join(prose)
        prose = []
        code = textwrap.dedent("".join(lines[start:end]))
        yield "code", f"\n```{_language(code)}\n{code.rstrip()}\n```\n"
        i = end
    yield "prose", "".join(prose)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _language(code: str) -> str:
    try:
        ast.parse(code)
    except SyntaxError:
        return "text"
    return "python"


class PublicIndex:
    """Maps the canonical path of every public object to the path it is documented under."""

    def __init__(self, package: griffe.Module) -> None:
        self.package = package
        self.public: dict[str, str] = {}
        for module_path in PUBLIC_MODULES:
            module = self._find(module_path)
            if not isinstance(module, griffe.Module):
                continue
            self.public.setdefault(module.path, module_path)
            for name in module.exports or ():
                member = module.members.get(str(name))
                if member is None:
                    continue
                self.public.setdefault(_final_path(member), f"{module_path}.{name}")

    def _find(self, path: str) -> griffe.Object | griffe.Alias | None:
        parts = path.split(".")
        if parts[0] != self.package.name:
            return None
        found: griffe.Object | griffe.Alias = self.package
        for part in parts[1:]:
            member = found.members.get(part)
            if member is None:
                return None
            found = member
        return found

    def resolver(self, scope: griffe.Object) -> Resolver:
        """A resolver for roles in the docstring of ``scope``."""

        def resolve(target: str) -> str | None:
            head, _, rest = target.partition(".")
            if head == self.package.name:
                found = self._find(target)
                canonical = None if found is None else _final_path(found)
            else:
                try:
                    canonical = scope.resolve(head) + (f".{rest}" if rest else "")
                except griffe.NameResolutionError:
                    return None
                found = self._find(canonical)
                canonical = canonical if found is None else _final_path(found)
            return None if canonical is None else self.public_path(canonical)

        return resolve

    def public_path(self, canonical: str) -> str | None:
        """The documented path of the object at ``canonical``, or of its public parent's member."""
        parts = canonical.split(".")
        for cut in range(len(parts), 0, -1):
            public = self.public.get(".".join(parts[:cut]))
            if public is not None:
                rest = parts[cut:]
                if any(part.startswith("_") for part in rest):
                    return None
                return ".".join([public, *rest])
        return None


def _final_path(member: griffe.Object | griffe.Alias) -> str:
    if isinstance(member, griffe.Alias):
        try:
            return member.final_target.path
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            return member.target_path
    return member.path


def _objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if not isinstance(member, griffe.Alias):
            yield from _objects(member)


def _is_annotated(expr: str | griffe.Expr) -> bool:
    return isinstance(expr, griffe.Expr) and expr.canonical_path in ("typing.Annotated", "typing_extensions.Annotated")


def plain_annotation(expr: str | griffe.Expr, index: PublicIndex) -> str | griffe.Expr:
    """``expr`` without ``Annotated`` metadata, the library's annotated aliases replaced by their type."""
    if isinstance(expr, griffe.ExprSubscript):
        if _is_annotated(expr.left) and isinstance(expr.slice, griffe.ExprTuple):
            return plain_annotation(expr.slice.elements[0], index)
        return dataclasses.replace(expr, slice=plain_annotation(expr.slice, index))
    if isinstance(expr, griffe.ExprTuple):
        return dataclasses.replace(expr, elements=[plain_annotation(element, index) for element in expr.elements])
    if isinstance(expr, griffe.ExprBinOp):
        return dataclasses.replace(
            expr, left=plain_annotation(expr.left, index), right=plain_annotation(expr.right, index)
        )
    if isinstance(expr, griffe.ExprName):
        target = index._find(expr.canonical_path)
        value = target.value if isinstance(target, griffe.Attribute) else None
        if isinstance(value, griffe.ExprSubscript) and _is_annotated(value.left):
            return plain_annotation(value, index)
    return expr


def _is_model(cls: griffe.Class) -> bool:
    try:
        return any(base.path == MODEL_BASE for base in cls.mro())
    except (ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False


class RstToMarkdown(griffe.Extension):
    """Rewrite the docstrings of a loaded package from reStructuredText habits to Markdown."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        index = PublicIndex(pkg)
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = rst_to_markdown(obj.docstring.value, index.resolver(obj))
            if isinstance(obj, griffe.Class) and _is_model(obj):
                for member in obj.members.values():
                    if _is_field(member) and isinstance(member, griffe.Attribute) and member.annotation is not None:
                        member.annotation = plain_annotation(member.annotation, index)
                        member.labels = {"field"}


def _is_field(member: griffe.Object | griffe.Alias) -> bool:
    return (
        isinstance(member, griffe.Attribute)
        and not member.name.startswith("_")
        and "instance-attribute" in member.labels
        and not (isinstance(member.annotation, griffe.Expr) and "ClassVar" in str(member.annotation))
    )
