"""Finding the line and column of a location such as ``levels[1].limit`` in a policy file.

The scanners (``recovery_rules._policy._locate``), the public ``recovery_rules.files.locate`` and
``SourceMap``, and the lines every ``PolicyError`` of ``Policy.from_text`` and ``Policy.from_file`` carries.
"""

from __future__ import annotations

import json
import pathlib
import re
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from recovery_rules import Complaint, InvalidInputError, Policy, PolicyError, Problem, files, presets
from recovery_rules._policy._locate import Path, Position, parse_location, source_map

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
            'name = "y \\"quoted\\""',  # 8: a basic string with escaped quotes
            "arr = [ 1, # c",  # 9
            "  {p = 2, q = [3, 4]},",  # 10
            "]",  # 11
            '"b.c".d = 1979-05-27 07:32:00Z',  # 12
            "e.f = '''lit",  # 13
            "eral\\'''",  # 14: a literal string takes a backslash as it is, even at its end
            "e.g = 2",  # 15
            "[table]",  # 16
            "k = 0",  # 17
        ]
    )
    data = tomllib.loads(text)
    found = source_map(text, "toml")
    expected = {
        ("a",): (1, 1),
        ("levels",): (3, 1),  # a list of tables, and a dotted key's table: where first written
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
        ("levels", 1, "e", "g"): (15, 3),
        ("levels", 1, "e"): (13, 1),
        ("table", "k"): (17, 1),
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


# -- the public API: files.locate, files.SourceMap, and PolicyError's lines ------------------------------

BAD_TOML = """\
name = "Bad"
currency = "USD"
window = "daily"
hard_cap = "100.00"
colour = "blue"

[[levels]]
name = "employee"
limit = "500.00"
delegates = ["nobody"]
"""


def _line(text: str, line: int | None) -> str:
    assert line is not None
    return text.splitlines()[line - 1]


def test_files_locate_places_a_location_in_each_format() -> None:
    assert files.locate(BAD_TOML, "toml", "levels[0].limit") == (9, 1)
    assert files.locate(BAD_TOML, "toml", "levels[0].missing") == (7, 1)  # a missing field: where its table starts
    assert files.locate(BAD_TOML, "toml", "nothing") is None
    assert files.locate('{"a": [1, {"b": 2}]}', "json", "a[1].b") == (1, 12)
    assert files.SourceMap(BAD_TOML, "toml").find("levels[0].missing", exact=True) is None
    assert files.SourceMap(BAD_TOML, "toml").find("levels[0].delegates[0]", exact=True) == (10, 14)
    with pytest.raises(InvalidInputError, match="'ini' is not one of: toml, json, yaml"):
        files.locate("a = 1", "ini", "a")


loose: Any = files
"""The module as a host app without a type checker calls it."""


@pytest.mark.parametrize(
    ("call", "location", "message"),
    [
        (lambda: loose.locate(None, "toml", "a"), "text", "must be a str, the file's text"),
        (lambda: loose.locate(b"a = 1", "toml", "a"), "text", "must be a str, the file's text"),
        (lambda: loose.SourceMap(None, "toml"), "text", "must be a str, the file's text"),
        (lambda: loose.SourceMap("a = 1", None), "format", "must be a str, one of: toml, json, yaml; not NoneType"),
        (lambda: loose.locate("a = 1", "toml", None), "location", "must be a str, a location such as"),
        (lambda: loose.SourceMap("a = 1", "toml").find(3), "location", "must be a str, a location such as"),
        (lambda: loose.SourceMap("a = 1", "toml").locate(None), "problems", "must be an iterable of Problem"),
        (lambda: loose.SourceMap("a = 1", "toml").locate([None]), "problems", "must be an iterable of Problem"),
        (lambda: loose.parse_problem(ValueError("x"), None, "toml"), "text", "must be a str, the file's text"),
    ],
)
def test_the_files_helpers_refuse_a_wrong_argument_saying_what_to_pass(
    call: Callable[[], object], location: str, message: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:  # was a TypeError or an AttributeError
        call()
    assert caught.value.problems[0].location == location
    assert caught.value.problems[0].message.startswith(message)


RETAIL = presets.path("retail").read_text(encoding="utf-8")
BROKEN = {
    "a wrong value, an unknown field, a missing field": RETAIL.replace('window = "30d"', 'window = "daily"')
    .replace("min_alternatives = 3", "min_alternatives = 3\ncolour = 1")
    .replace('name = "supervisor"\n', ""),
    "the load-time checks": RETAIL.replace('denials_delivered_by = "store_manager"', 'denials_delivered_by = "boss"')
    .replace('limit = "1000.00"', 'limit = "1600.00"')
    .replace('id = "backorder-callback"', 'id = "other-branch"'),
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN)
def test_a_policy_from_text_that_does_not_load_has_every_problem_on_its_line(text: str) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(text)
    problems = caught.value.problems
    assert len(problems) >= 3
    for problem in problems:
        assert problem.line is not None, problem
        assert problem.column is not None
        assert str(problem) == f"line {problem.line}: {problem.location}: {problem.message}"
        assert str(problem) in str(caught.value)
        written = parse_location(problem.location)[-1]
        line = _line(text, problem.line)
        assert line.startswith(str(written)) or line in ("[[levels]]", "[[catalog]]"), problem
    assert caught.value.source is None


def test_a_field_missing_from_the_whole_policy_has_no_line() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(BAD_TOML)
    problems = {problem.location: problem for problem in caught.value.problems}
    assert problems["denials_delivered_by"].line is None  # not in the file: no place to point at
    assert str(problems["denials_delivered_by"]) == "denials_delivered_by: is required"
    assert (problems["window"].line, problems["window"].column) == (3, 1)


def test_policy_from_text_lists_problems_in_the_order_of_the_text_those_with_no_line_last() -> None:
    """A reader fixes a file top to bottom: ``from_text`` lists the problems by line and column, and a field
    missing from the whole policy, which has no place in it, after them."""
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(BAD_TOML)
    places = [(problem.line, problem.column) for problem in caught.value.problems]
    placed = [place for place in places if place[0] is not None]
    assert placed == sorted(placed, key=lambda place: (place[0] or 0, place[1] or 0)), places
    assert places[len(placed) :] == [(None, None)] * (len(places) - len(placed)), places
    assert len(placed) >= 3, places
    assert len(places) > len(placed), places


def test_a_policy_file_that_does_not_load_names_its_file_and_lines(tmp_path: pathlib.Path) -> None:
    file = tmp_path / "policy.toml"
    file.write_text(BAD_TOML, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        Policy.from_file(file)
    assert caught.value.source == str(file)
    assert {problem.location: problem.line for problem in caught.value.problems}["colour"] == 5
    assert f"policy {file} does not load" in str(caught.value)


SYNTAX_ERRORS = [
    ("toml", 'name = "x"\ncurrency = \n', 2),
    ("json", '{"name": "x",\n "currency": }', 2),
    ("yaml", "name: x\ncurrency: [USD\nlevels: 1\n", 2),
]


@pytest.mark.parametrize(("format", "text", "line"), SYNTAX_ERRORS)
def test_a_syntax_error_carries_its_line_and_keeps_its_words(format: str, text: str, line: int) -> None:
    if format == "yaml":
        pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(text, format=format)  # type: ignore[arg-type]  # each of the three formats
    (problem,) = caught.value.problems
    assert problem.line is not None
    assert problem.line >= line
    assert problem.column is not None
    assert str(problem) == (f"{problem.location}: {problem.message}" if problem.location else problem.message)


def _renamed(data: Any, path: Path, name: str) -> Any:
    """``data`` with the key at ``path`` named ``name`` instead."""
    if not path[1:]:
        return {(name if key == path[0] else key): value for key, value in data.items()}
    head = path[0]
    if isinstance(data, list):
        return [_renamed(value, path[1:], name) if index == head else value for index, value in enumerate(data)]
    return {key: _renamed(value, path[1:], name) if key == head else value for key, value in data.items()}


PRESET_DATA = {name: tomllib.loads(presets.path(name).read_text(encoding="utf-8")) for name in presets.NAMES}


@settings(max_examples=examples(60))  # each example loads a whole policy
@given(data=st.data(), format=st.sampled_from(["toml", "json", "yaml"]), preset=st.sampled_from(presets.NAMES))
def test_a_located_problem_is_on_a_line_that_holds_the_key_it_names(
    data: st.DataObject, format: str, preset: str
) -> None:
    """A key misspelt anywhere in a policy, in any format: every problem naming it is on the line holding it."""
    if format == "yaml":
        yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    text = presets.path(preset).read_text(encoding="utf-8")
    if format == "toml":
        lines = text.split("\n")
        keyed = [number for number, line in enumerate(lines) if re.match(r"[a-z_]+ = ", line)]
        number = data.draw(st.sampled_from(keyed))
        key = lines[number].split(" ", 1)[0]
        name = f"{key}_x"
        lines[number] = name + lines[number][len(key) :]
        text = "\n".join(lines)
    else:
        keys = [path for path, _ in paths(PRESET_DATA[preset]) if isinstance(path[-1], str)]
        path = data.draw(st.sampled_from(keys))
        name = f"{path[-1]}_x"
        renamed = _renamed(PRESET_DATA[preset], path, name)
        if format == "json":
            text = json.dumps(renamed, indent=data.draw(st.sampled_from([None, 1, 2])))
        else:
            text = yaml.safe_dump(renamed, default_flow_style=data.draw(st.sampled_from([False, None])))
    problems: tuple[Problem, ...] = ()
    try:
        Policy.from_text(text, format=format)  # type: ignore[arg-type]  # each of the three formats
    except PolicyError as error:  # a renamed tier or wording name may still load
        problems = error.problems
    for problem in problems:
        if parse_location(problem.location)[-1:] == (name,):
            assert problem.line is not None, problem
            assert problem.column is not None
            assert _line(text, problem.line)[problem.column - 1 :].lstrip("\"'").startswith(name), (problem, text)


def test_locating_costs_nothing_when_a_policy_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object) -> None:
        raise AssertionError("a policy that loads was mapped for line numbers")

    monkeypatch.setattr("recovery_rules._policy._policy.SourceMap", never)
    text = presets.path("retail").read_text(encoding="utf-8")
    assert Policy.from_text(text).name
    assert Policy.from_file(presets.path("retail")).name
    with pytest.raises(AssertionError, match="was mapped"):
        Policy.from_text(BAD_TOML)


def test_a_host_places_a_complaints_problems_in_its_own_text() -> None:
    text = '{\n  "customer": {"id": "1"},\n  "category": "noise",\n  "requested": {"kind": "refund", "amount": 5},\n'
    text += '  "received_at": "2026-11-23T10:00:00Z"\n}'
    with pytest.raises(InvalidInputError) as caught:
        Complaint.model_validate_json(text)
    before = str(caught.value)
    located = files.SourceMap(text, "json").locate(caught.value.problems)
    assert [problem.location for problem in located] == [problem.location for problem in caught.value.problems]
    assert all(problem.line == 4 for problem in located if problem.location.startswith("requested"))
    assert str(caught.value) == before  # an InvalidInputError's message is not changed by placing its problems
    placed = Problem("category", "is placed by the host", 9, 7)  # a problem that has a line keeps it
    assert files.SourceMap(text, "json").locate([placed]) == (placed,)


def test_a_problem_without_a_line_reads_as_before() -> None:
    assert str(Problem("levels[1].limit", "is too high")) == "levels[1].limit: is too high"
    assert str(Problem("levels[1].limit", "is too high", 12, 3)) == "line 12: levels[1].limit: is too high"
    assert str(Problem("", "is nested too deeply", 1, 1)) == "is nested too deeply"
    assert str(Problem("line 2, column 9", "is not valid JSON", 2, 9)) == "line 2, column 9: is not valid JSON"
    assert Problem("a", "b") == Problem("a", "b", None, None)


def _ends_within(seconds: int, call: Any) -> Any:
    """``call()``, failing the test if it runs longer than ``seconds`` (a scan that never ends)."""
    import signal  # noqa: PLC0415 - only this guard needs it

    def stop(signum: int, frame: object) -> None:
        raise AssertionError(f"still scanning after {seconds} s: the scan does not end")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    "text",
    ["name = [\n", "x = [}", "x = [1 2]", "a = {b = 1", "a = {b = 1 c = 2}", "x = [[1,2], [3", "x = [ # c\n"],
)
def test_a_policy_text_broken_inside_an_array_or_table_is_refused_not_scanned_forever(text: str) -> None:
    with pytest.raises(PolicyError, match="is not valid TOML"):
        _ends_within(10, lambda: Policy.from_text(text))


@pytest.mark.parametrize("text", ["name = '''abc", "x = 1\ny = '''\n\n", 'name = """abc', 'name = """abc\\'])
def test_a_policy_text_with_an_unclosed_multi_line_string_is_refused_not_scanned_forever(text: str) -> None:
    # A literal string (''') that never closes once made the scanner run past the end of the text forever.
    with pytest.raises(PolicyError, match="is not valid TOML"):
        _ends_within(10, lambda: Policy.from_text(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="[]{},=\"'#.= \nabc123", max_size=40), st.sampled_from(["toml", "json", "yaml"]))
def test_mapping_any_text_ends(text: str, format: str) -> None:
    # Policy.from_text maps the text of every policy that fails to load, whatever a host passes it.
    _ends_within(10, lambda: source_map(text, format))
