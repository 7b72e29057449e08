"""Finding the line and column of a location such as ``levels[1].limit`` in a policy file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recovery_rules import presets
from recovery_rules.cli._locate import Path, Position, parse_location, source_map

from ._helpers import examples


def paths(data: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key), value
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index), value
            yield from paths(value, (*prefix, index))


def text_at(text: str, position: Position) -> str:
    return text.splitlines()[position.line - 1][position.column - 1 :]


def test_parse_location() -> None:
    assert parse_location("levels[1].tier_limits.gold") == ("levels", 1, "tier_limits", "gold")
    assert parse_location("catalog") == ("catalog",)
    assert parse_location("cases[12].expect") == ("cases", 12, "expect")
    assert parse_location("") == ()


@pytest.mark.parametrize("name", presets.NAMES)
def test_every_key_of_the_presets_is_found_on_its_line(name: str) -> None:
    text = presets.path(name).read_text(encoding="utf-8")
    found = source_map(text, "toml")
    for path, _ in paths(tomllib.loads(text)):
        hit = found.find(path)
        assert hit is not None
        position, where = hit
        assert where == path
        if path[-1] in ("levels", "caps", "catalog") or (len(path) == 2 and path[0] in ("levels", "caps", "catalog")):
            assert text_at(text, position) == f"[[{path[0]}]]", path  # an array of tables: its header
        elif isinstance(path[-1], str):  # a key, or a table's header ([business_hours])
            assert text_at(text, position).startswith((path[-1], f"[{path[-1]}]")), path


def test_toml_tables_arrays_inline_tables_strings_and_dotted_keys() -> None:
    text = "\n".join(
        [
            'a = """x\\"""',  # 1: a multi-line string with an escaped quote
            'y"""""',  # 2: ... ending in extra quotes
            "[[levels]]",  # 3
            "name = 'x' # a comment with = and [brackets]",  # 4
            "[levels.tier_limits]",  # 5
            "gold = 1",  # 6
            "[[levels]]",  # 7
            'name = "y"',  # 8
            "arr = [ 1, # c",  # 9
            "  {p = 2, q = [3, 4]},",  # 10
            "]",  # 11
            '"b.c".d = 1979-05-27 07:32:00Z',  # 12
            "e.f = '''lit",  # 13
            "eral'''",  # 14
            "[table]",  # 15
            "k = 0",  # 16
        ]
    )
    data = tomllib.loads(text)
    found = source_map(text, "toml")
    expected = {
        ("a",): (1, 1),
        ("levels", 0): (3, 1),
        ("levels", 0, "name"): (4, 1),
        ("levels", 0, "tier_limits"): (5, 1),
        ("levels", 0, "tier_limits", "gold"): (6, 1),
        ("levels", 1): (7, 1),
        ("levels", 1, "arr", 0): (9, 9),
        ("levels", 1, "arr", 1): (10, 3),
        ("levels", 1, "arr", 1, "q", 1): (10, 19),
        ("levels", 1, "b.c", "d"): (12, 7),
        ("levels", 1, "e", "f"): (13, 3),
        ("table", "k"): (16, 1),
    }
    for path, (line, column) in expected.items():
        hit = found.find(path)
        assert hit is not None, path
        assert hit == (Position(line, column), path)
    assert all(found.find(path) for path, _ in paths(data))


def test_a_missing_field_is_placed_where_its_table_starts() -> None:
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    hit = source_map(text, "toml").find("levels[1].callback_whenever")
    assert hit is not None
    assert hit[1] == ("levels", 1)
    assert text_at(text, hit[0]) == "[[levels]]"
    assert source_map(text, "toml").find("nothing.here") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=examples(200))  # documents of up to 20 values: a few hundred cover the nestings
@given(data=st.dictionaries(st.text(max_size=6), json_values, max_size=5), indent=st.sampled_from([None, 0, 2]))
def test_every_json_key_and_element_is_found(data: dict[str, Any], indent: int | None) -> None:
    text = json.dumps(data, indent=indent)
    found = source_map(text, "json")
    decoder = json.JSONDecoder()
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    for path, value in paths(data):
        hit = found.find(path)
        assert hit is not None
        position, where = hit
        assert where == path
        offset = offsets[position.line - 1] + position.column - 1
        if isinstance(path[-1], str):
            assert decoder.raw_decode(text, offset)[0] == path[-1]
        else:
            assert decoder.raw_decode(text, offset)[0] == value


def test_every_yaml_key_is_found() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    data = tomllib.loads(presets.path("retail").read_text(encoding="utf-8"))
    text = yaml.safe_dump(data)
    found = source_map(text, "yaml")
    for path, _ in paths(data):
        hit = found.find(path)
        assert hit is not None
        if isinstance(path[-1], str):
            assert text_at(text, hit[0]).lstrip("- ").startswith(path[-1])


@given(text=st.text(max_size=200), format=st.sampled_from(["toml", "json", "yaml", "ini"]))
# text cut short after a good start, so that the scanners map something before they stop
@example(text='name = "x"\n[[levels]]\nlimit = [1, {', format="toml")
@example(text='{"name": "x", "levels": [{"limit": 1}, {"limit": [', format="json")
@example(text="name: x\nlevels:\n  - limit: 1\n  - limit: [", format="yaml")
@example(text='name = "x"\n', format="ini")
def test_text_that_is_not_what_it_claims_never_crashes_the_scanners(text: str, format: str) -> None:
    found = source_map(text, format)
    if format == "ini":
        assert len(found) == 0  # a format it does not know: nothing is mapped, nothing is made up
    lines = text.split("\n")
    for location in ("levels[0].limit", "levels", "name", "catalog[1].applies_to[0]"):
        hit = found.find(location)
        if hit is None:
            continue
        position, where = hit
        asked = parse_location(location)
        assert where == asked[: len(where)]  # the location itself, or one that encloses it
        assert where, "never the empty path: that is not a place in the file"
        assert 1 <= position.line <= len(lines)  # a place in the text, counted from 1
        assert 1 <= position.column <= len(lines[position.line - 1]) + 1
