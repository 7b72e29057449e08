"""The reference pages cover everything there is, and the shipped JSON Schema matches the models."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest

import recovery_rules
from recovery_rules import RULES, AuthorityLevel, BusinessHours, Policy, PolicyError, exceptions, presets, testing

from ._docs import DOCS, blocks, load_tool, pages
from ._helpers import examples

REFERENCE = DOCS / "reference"


def documented() -> set[str]:
    """Every object an API page renders with a ``::: path`` line."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in REFERENCE.rglob("*.md"))
    return set(re.findall(r"^::: ([\w.]+)$", text, flags=re.MULTILINE))


# -- the API reference -------------------------------------------------------------------------


def test_every_public_name_has_an_entry_in_the_api_reference() -> None:
    rendered = documented()
    modules = {"presets", "testing"}
    expected = {f"recovery_rules.{name}" for name in recovery_rules.__all__ if name not in {"__version__", *modules}}
    expected |= {f"recovery_rules.{module}" for module in modules}
    missing = sorted(expected - rendered)
    assert not missing, "add a `::: name` line for each to a page under docs/reference/api/: " + ", ".join(missing)


def test_the_api_reference_renders_only_public_names() -> None:
    for path in documented():
        assert not any(part.startswith("_") for part in path.split(".")), path
        assert path.split(".")[1] in {*recovery_rules.__all__, "testing", "files", "metrics", "proof"}, (
            path
        )  # public modules too


def test_every_exception_is_explained_on_the_errors_page() -> None:
    page = (REFERENCE / "errors.md").read_text(encoding="utf-8")
    for name in exceptions.__all__:
        assert f"::: recovery_rules.{name}\n" in page, f"render {name} on docs/reference/errors.md"
        if name != "Problem":
            assert f"| `{name}` |" in page, f"say when {name} is raised and what to do, in the table"
            assert name in page.split("```text", 1)[1].split("```", 1)[0], f"put {name} in the exception tree"


def test_every_trace_rule_is_explained_on_the_errors_page() -> None:
    page = (REFERENCE / "errors.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `([a-z_.]+)` \|", page.split("## Trace rules", 1)[1], flags=re.MULTILINE)
    assert table == list(RULES), "the trace rule table lists every id of recovery_rules.RULES, in order"
    for rule, meaning in RULES.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{rule}` |"))
        words = set(re.findall(r"[a-z]+", meaning)) - {"the", "a", "an", "it", "to", "of", "s"}
        assert len(words & set(re.findall(r"[a-z]+", row.lower()))) >= len(words) // 2, rule


# -- the policy file format -------------------------------------------------------------------


def _section(page: str, heading: str) -> str:
    return page.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(
    ("model", "heading"),
    [
        (Policy, "The policy"),
        (AuthorityLevel, "Levels"),
        (recovery_rules.Alternative, "Catalog"),
        (BusinessHours, "Business hours"),
    ],
)
def test_the_policy_file_reference_lists_every_field(model: type[Any], heading: str) -> None:
    section = _section((REFERENCE / "policy-file.md").read_text(encoding="utf-8"), heading)
    listed = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert listed == list(model.model_fields), f"the {heading!r} table lists {model.__name__}'s fields, in order"
    for name, field in model.model_fields.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
        required = row.split("|")[2].strip()
        assert (required == "yes") == field.is_required() or required.startswith("for every"), name


def test_the_defaults_the_reference_states_are_the_models_defaults() -> None:
    section = _section((REFERENCE / "policy-file.md").read_text(encoding="utf-8"), "The policy")
    row = next(line for line in section.splitlines() if line.startswith("| `remedy_kinds` |"))
    assert re.findall(r"`(\w+)`", row.split("|")[3]) == list(Policy.model_fields["remedy_kinds"].default)
    for name in ("timezone", "min_alternatives"):
        row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
        shown = row.split("|")[3].strip().strip("`").strip('"')
        assert shown == str(Policy.model_fields[name].default), name


# -- the JSON Schema -----------------------------------------------------------------------------

SCHEMA_TOOL = load_tool("policy_schema")


def test_the_shipped_schema_is_up_to_date_with_the_policy_model() -> None:
    shipped = (DOCS / "policy.schema.json").read_text(encoding="utf-8")
    assert shipped == SCHEMA_TOOL.render(), "docs/policy.schema.json is out of date: run `make schema`"


def test_the_shipped_schema_is_the_models_schema_as_a_document() -> None:
    schema = json.loads((DOCS / "policy.schema.json").read_text(encoding="utf-8"))
    model = Policy.model_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$schema" in schema["properties"], "a JSON policy file may name its schema, for editors"
    assert schema["properties"] == model["properties"]
    assert schema["required"] == model["required"]
    assert schema["$defs"] == model["$defs"]
    text = json.dumps(schema)
    assert "An exact amount:" not in text, "every amount of a policy file accepts the bare forms"
    assert '"format": "duration"' not in text, "durations accept the short forms"
    assert "(?P<" not in text, "patterns are ECMA-262 regular expressions: no Python named groups"


jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the dev extra; this runs in CI")


def _validator() -> Any:
    schema = json.loads((DOCS / "policy.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _policies_in_the_docs() -> list[tuple[str, Any]]:
    """Every policy file a page shows (snippets included), parsed."""
    found = []
    for page in pages():
        for block in blocks(page):
            if block.file_name and block.language in ("toml", "json"):
                data = tomllib.loads(block.code) if block.language == "toml" else json.loads(block.code)
                if isinstance(data, dict) and "levels" in data:
                    found.append((block.id, data))
    return found


def test_the_schema_accepts_every_preset_and_every_policy_in_the_docs() -> None:
    validator = _validator()
    policies = [(name, tomllib.loads(presets.path(name).read_text(encoding="utf-8"))) for name in presets.NAMES]
    policies += _policies_in_the_docs()
    assert len(policies) >= 8
    for name, data in policies:
        # (A page may show a draft that only the whole-policy checks refuse, such as the tutorial's first
        # bike shop: the schema describes fields, so it accepts that draft too.)
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(data)]
        assert not errors, f"the schema accepts {name}: {errors}"


def test_the_models_own_schema_accepts_the_presets() -> None:
    """``Policy.model_json_schema()`` describes files as written, so a host app may hand it to a validator."""
    raw = jsonschema.Draft202012Validator(Policy.model_json_schema())
    for name in presets.NAMES:
        data = tomllib.loads(presets.path(name).read_text(encoding="utf-8"))
        assert not list(raw.iter_errors(data)), name


def test_no_schema_the_library_prints_uses_python_only_regex_syntax() -> None:
    for model in (Policy, recovery_rules.Complaint, recovery_rules.Resolution):
        assert "(?P<" not in json.dumps(model.model_json_schema()), model.__name__


@pytest.mark.parametrize(
    ("location", "value"),
    [
        (("levels", 0, "limit"), "2,000.00"),
        (("levels", 0, "limit"), "-5.00"),
        (("levels", 0, "limit"), 2000.5),
        (("levels", 0, "limit"), "limitless"),
        (("levels", 1, "callback_within"), "two hours"),
        (("hard_cap",), "10000.00 usd"),
        (("catalog", 0, "value"), {"amount": "0.00"}),
        (("levels", 0, "limt"), "2000.00"),
        (("window",), "weekly"),
    ],
)
def test_the_schema_refuses_what_the_policy_refuses(location: tuple[str | int, ...], value: object) -> None:
    data = tomllib.loads(presets.path("ritz-carlton").read_text(encoding="utf-8"))
    target: Any = data
    for key in location[:-1]:
        target = target[key]
    target[location[-1]] = value
    assert list(_validator().iter_errors(data)), f"the schema accepts {value!r} at {location}"
    with pytest.raises(PolicyError):
        Policy.model_validate(data)


def test_the_strategies_generate_policies_the_schema_accepts() -> None:
    from hypothesis import given, settings  # noqa: PLC0415 - the testing extra, which dev installs

    validator = _validator()

    @settings(max_examples=examples(50), deadline=None)
    @given(testing.policies())
    def check(policy: Policy) -> None:
        data = json.loads(policy.model_dump_json())
        assert not list(validator.iter_errors(data)), "a policy's own JSON form is a valid policy file"

    check()
