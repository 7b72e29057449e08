"""Reading policy files: TOML, JSON, YAML; every kind of broken file gives a PolicyError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import InvalidInputError, Policy, PolicyError, presets

from ._helpers import policy_data


@pytest.fixture
def toml_text() -> str:
    return presets.path("ritz-carlton").read_text(encoding="utf-8")


def test_toml_json_and_yaml_give_the_same_policy(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    data = policy_data()
    (tmp_path / "p.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    from_json = Policy.from_file(tmp_path / "p.json")
    assert Policy.from_file(tmp_path / "p.yaml") == from_json
    assert from_json == Policy.model_validate(data)


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml"])
def test_a_file_saved_with_a_byte_order_mark_loads_and_its_lines_are_the_same(tmp_path: Path, suffix: str) -> None:
    """Windows Notepad saves UTF-8 with a byte-order mark: the file reads as without it, line numbers included."""
    if suffix == ".yaml":
        pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    data = policy_data()
    text = {".toml": presets.path("ritz-carlton").read_text(encoding="utf-8"), ".json": json.dumps(data, indent=1)}
    text[".yaml"] = text[".json"]  # JSON is YAML
    path = tmp_path / f"policy{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + text[suffix].encode())
    expected = presets.ritz_carlton() if suffix == ".toml" else Policy.model_validate(data)
    assert Policy.from_file(path) == expected
    assert Policy.from_text("\ufeff" + text[suffix], format=suffix[1:]) == expected  # type: ignore[arg-type]
    broken = tmp_path / "broken.toml"
    broken.write_bytes(b"\xef\xbb\xbf" + b'name = "x"\nname = "y"\n')
    with pytest.raises(PolicyError) as caught:
        Policy.from_file(broken)
    assert [(problem.line, problem.column) for problem in caught.value.problems][:1] == [(2, 11)]


def test_presets_are_toml_files(toml_text: str) -> None:
    assert Policy.from_text(toml_text) == presets.ritz_carlton()


def test_broken_toml_syntax_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\ncurrency = \n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken.toml does not load: is not valid TOML: .*line 2") as caught:
        Policy.from_file(path)
    assert caught.value.source == str(path)


def test_duplicate_keys_are_refused_in_every_format(tmp_path: Path, toml_text: str) -> None:
    (tmp_path / "dup.toml").write_text('name = "again"\n' + toml_text, encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid TOML"):
        Policy.from_file(tmp_path / "dup.toml")
    (tmp_path / "dup.json").write_text('{"name": "a", "name": "b"}', encoding="utf-8")
    with pytest.raises(PolicyError, match="the key 'name' appears twice"):
        Policy.from_file(tmp_path / "dup.json")
    pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    (tmp_path / "dup.yaml").write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="line 2, column 1: the key 'name' appears twice"):
        Policy.from_file(tmp_path / "dup.yaml")


def test_unknown_fields_are_refused(toml_text: str) -> None:
    with pytest.raises(PolicyError, match=r"levels\[0\].limt: is not a field here; did you mean 'limit'\?"):
        Policy.from_text(toml_text.replace('limit = "2000.00"', 'limt = "2000.00"'))


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("hardcap", "hardcap: is not a field here; did you mean 'hard_cap'?"),
        ("Currency", "Currency: is not a field here; did you mean 'currency'?"),
        ("colour", "colour: is not a field here; check the spelling"),
    ],
)
def test_an_unknown_field_names_the_closest_field_at_its_place(toml_text: str, written: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(f'{written} = "1"\n' + toml_text)
    assert [str(problem) for problem in caught.value.problems] == [f"line 1: {message}"]  # at its place in the text
    assert [(problem.line, problem.column) for problem in caught.value.problems] == [(1, 1)]


def test_float_amounts_are_refused_with_advice(toml_text: str) -> None:
    """The advice is for whoever writes the file: the amount as text, never Python's Decimal(...)."""
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(toml_text.replace('limit = "2000.00"', "limit = 2000.0"))
    assert [problem.message for problem in caught.value.problems] == [
        "is the floating-point number 2000.0, which cannot hold money exactly; write the amount as text, in quotes: "
        '"2000.00"'
    ]
    assert caught.value.problems[0].location == "levels[0].limit"


def test_integer_amounts_are_fine(toml_text: str) -> None:
    policy = Policy.from_text(toml_text.replace('limit = "2000.00"', "limit = 2000"))
    assert str(policy.levels[0].limit) == "2000.00 USD"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.txt", "x", "cannot tell the format"),
        ("p.json", "[1, 2", "not valid JSON"),
        ("p.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("p.json", "[]", "must be a table"),
        ("p.json", "null", "must be a table"),
        ("p.toml", "", "is required"),
    ],
)
def test_malformed_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        Policy.from_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        Policy.from_file(tmp_path / "nope.toml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "Caf\xe9"'.encode("latin-1"))
    with pytest.raises(PolicyError, match="not UTF-8"):
        Policy.from_file(path)


def test_huge_strings_are_refused(toml_text: str) -> None:
    with pytest.raises(PolicyError, match=r"name: is 1,000,000 characters long"):
        Policy.from_text(toml_text.replace('name = "Ritz-Carlton style hotel"', f'name = "{"x" * 1_000_000}"'))


def test_policy_error_lists_problems_from_the_file(toml_text: str) -> None:
    broken = toml_text.replace('hard_cap = "10000.00"', 'hard_cap = "1000.00"').replace(
        'denials_delivered_by = "manager"', 'denials_delivered_by = "boss"'
    )
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(broken)
    locations = [problem.location for problem in caught.value.problems]
    assert "denials_delivered_by" in locations
    assert "levels[0].limit" in locations
    assert "levels[1].limit" in locations


def test_a_json_policy_may_name_its_schema(tmp_path: Path) -> None:
    data = {"$schema": "./policy.schema.json", **policy_data()}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Policy.from_file(path) == Policy.model_validate(policy_data())
    with pytest.raises(PolicyError, match=r"\$schema"):
        Policy.model_validate({**policy_data(), "$schema": 5})


def test_a_preset_is_found_by_its_name_or_its_functions_name() -> None:
    assert presets.path("ritz_carlton") == presets.path("ritz-carlton")
    assert presets.load("theme_park") == presets.theme_park()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("themepark", "there is no preset 'themepark'; did you mean 'theme-park'? The presets are: ritz-carlton"),
        ("bank", "there is no preset 'bank'; use one of: ritz-carlton, retail, theme-park"),
        (None, "must be the name of a preset, a string, not None; use one of"),
    ],
)
def test_an_unknown_preset_is_refused_with_the_names_there_are(name: Any, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        presets.path(name)
    assert caught.value.problems[0].location == "name"
    assert message in caught.value.problems[0].message


@pytest.mark.parametrize("suffix", [".TOML", ".Json", ".YML"])
def test_the_format_is_told_from_the_extension_whatever_its_case(tmp_path: Path, suffix: str) -> None:
    """A file saved as ``POLICY.TOML`` (Windows keeps the case people type) is read by its extension all the same."""
    if suffix == ".YML":
        pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    data = policy_data()
    text = presets.path("ritz-carlton").read_text(encoding="utf-8") if suffix == ".TOML" else json.dumps(data)
    path = tmp_path / f"POLICY{suffix}"
    path.write_text(text, encoding="utf-8")
    expected = presets.ritz_carlton() if suffix == ".TOML" else Policy.model_validate(data)
    assert Policy.from_file(path) == expected


@pytest.mark.parametrize("format", ["toml", "json"])
def test_a_text_with_a_byte_order_mark_that_does_not_load_names_the_line_of_each_problem(format: str) -> None:
    """``from_text`` reads a text with the mark as without it (see above); its problems keep their lines too."""
    data = policy_data(window="daily")
    text = {
        "toml": presets.path("ritz-carlton")
        .read_text(encoding="utf-8")
        .replace('window = "incident"', 'window = "daily"', 1),
        "json": json.dumps(data, indent=1),
    }[format]
    assert 'window = "daily"' in text or '"window": "daily"' in text
    places = {}
    for written in (text, "\ufeff" + text):
        with pytest.raises(PolicyError) as caught:
            Policy.from_text(written, format=format)  # type: ignore[arg-type]
        places[written[:1] == "\ufeff"] = [(problem.location, problem.line) for problem in caught.value.problems]
    assert ("window", None) not in places[False]
    assert places[True] == places[False]
