"""docs/reference/policy-file.md's tables against the model and docs/policy.schema.json (audit 135).

The page states each field's limits ("at most 64 characters", "at most 2,000 characters", "at most 1,000");
the code enforces them, and the shipped JSON Schema, which "describes the same format for editors", should
state them too, so an editor flags a file the library refuses.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from recovery_rules import Cap, Policy, PolicyError

from ._docs import DOCS
from ._helpers import policy_data

PAGE = (DOCS / "reference" / "policy-file.md").read_text(encoding="utf-8")


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DOCS / "policy.schema.json").read_text(encoding="utf-8"))
    return schema


def _refusal(data: dict[str, Any]) -> str:
    with pytest.raises(PolicyError) as caught:
        Policy.model_validate(data)
    return str(caught.value)


# -- the Caps table, which the other reference tests leave out ---------------------------------------------------


def test_the_caps_table_lists_every_field_of_a_cap_in_order_with_whether_it_is_required() -> None:
    section = PAGE.split("## Caps\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \|", section, flags=re.MULTILINE)
    assert [name for name, _ in rows] == list(Cap.model_fields)
    for name, required in rows:
        assert (required == "yes") == Cap.model_fields[name].is_required(), name
    assert _schema()["$defs"]["Cap"]["required"] == [name for name, required in rows if required == "yes"]


# -- each documented limit: exactly at it accepted, one over refused, naming the limit ---------------------------


def _at(data: dict[str, Any], location: tuple[str | int, ...], value: object) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target: Any = data
    for key in location[:-1]:
        target = target[key]
    target[location[-1]] = value
    return data


@pytest.mark.parametrize(
    ("location", "most", "make", "named"),
    [
        (("name",), 200, lambda n: "n" * n, "200"),
        (("levels", 0, "title"), 200, lambda n: "t" * n, "200"),
        (("levels", 0, "name"), 64, lambda n: "s" * n, "64"),
        (("catalog", 0, "kind"), 64, lambda n: "k" * n, "64"),
        (("catalog", 0, "contact"), 500, lambda n: "c" * n, "500"),
        (("catalog", 0, "url"), 2000, lambda n: "https://example.com/" + "u" * (n - 20), "2,000"),
        (("catalog", 0, "directions"), 10_000, lambda n: "d" * n, "10,000"),
        (("caps",), 100, lambda n: [{"limit": "800.00", "window": "30d", "label": "l" * n}], "100"),
    ],
    ids=["name", "title", "level-name", "kind", "contact", "url", "directions", "cap-label"],
)
def test_a_documented_length_limit_accepts_exactly_the_limit_and_refuses_one_more_naming_it(
    location: tuple[str | int, ...], most: int, make: Any, named: str
) -> None:
    data = policy_data()
    Policy.model_validate(_at(data, location, make(most)))
    message = _refusal(_at(data, location, make(most + 1)))
    assert re.search(rf"\b{re.escape(named)}\b", message), message


@pytest.mark.parametrize(
    ("field", "most", "make"),
    [
        ("caps", 20, lambda n: [{"limit": "5000.00", "window": f"{day + 1}d"} for day in range(n)]),
        ("categories", 1000, lambda n: [f"c{index}" for index in range(n)]),
    ],
)
def test_a_documented_count_limit_accepts_exactly_the_limit_and_refuses_one_more_naming_it(
    field: str, most: int, make: Any
) -> None:
    data = policy_data()
    if field == "categories":
        data["categories"] = [*data["categories"], *make(most - 2)]
        Policy.model_validate(data)
        data["categories"] = [*data["categories"], "one_more"]
    else:
        Policy.model_validate(_at(data, (field,), make(most)))
        data = _at(data, (field,), make(most + 1))
    assert f"the most is {most:,}" in _refusal(data)


# -- the shipped JSON Schema states the same limits --------------------------------------------------------------


def test_the_schema_bounds_the_listed_categories_with_max_items_like_every_other_list() -> None:
    categories = _schema()["properties"]["categories"]
    assert categories.get("maxItems") == 1000
    assert "maxLength" not in categories


def test_the_schema_gives_the_64_character_limit_of_words_and_alternative_ids() -> None:
    schema = _schema()
    level = schema["$defs"]["AuthorityLevel"]["properties"]
    alternative = schema["$defs"]["Alternative"]["properties"]
    for where, node in [
        ("levels[].name", level["name"]),
        ("catalog[].id", alternative["id"]),
        ("catalog[].kind", alternative["kind"]),
        ("denials_delivered_by", schema["properties"]["denials_delivered_by"]),
        ("customer_noun", schema["properties"]["customer_noun"]),
    ]:
        assert node.get("maxLength") == 64, where


def test_the_schema_gives_the_2000_character_limit_of_an_alternatives_url() -> None:
    url = _schema()["$defs"]["Alternative"]["properties"]["url"]
    assert {"maxLength": 2000, "type": "string"} in url["anyOf"]


# -- a zero duration as a window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes", [{"window": "0d"}, {"caps": [{"limit": "800.00", "window": "0d"}]}], ids=["window", "caps"]
)
def test_a_zero_window_is_refused_saying_a_duration_must_be_longer_than_zero(changes: dict[str, Any]) -> None:
    data = policy_data(**changes)
    assert "longer than zero" in _refusal(data)


@pytest.mark.parametrize(
    ("field", "most", "listed", "noun"),
    [
        ("levels", 1000, "at least one and at most 1,000", "authority levels"),
        ("catalog", 10_000, "at most 10,000", "alternatives"),
        ("remedy_kinds", 100, "At least one and at most 100", "remedy kinds"),
        ("categories", 1000, "At most 1,000", "categories"),
        ("wording", 100, "at most 100 locales", "locales"),
    ],
)
def test_the_reference_gives_each_list_s_most_and_the_model_refuses_one_more(
    field: str, most: int, listed: str, noun: str
) -> None:
    row = next(
        line
        for line in (DOCS / "reference" / "policy-file.md").read_text().splitlines()
        if line.startswith(f"| `{field}` |")
    )
    assert listed in row
    data = policy_data()
    many: Any = {
        "levels": [{"name": f"l{i}", "limit": "10.00", "callback_within": "1h"} for i in range(most + 1)],
        "catalog": [
            {"id": f"a{i}", "kind": f"k{i}", "description": "x", "value": "0.00", "applies_to": ["*"]}
            for i in range(most + 1)
        ],
        "remedy_kinds": [f"kind{i}" for i in range(most + 1)],
        "categories": sorted(f"cat{i:04}" for i in range(most + 1)),
        "wording": {chr(97 + i // 26) + chr(97 + i % 26): {} for i in range(most + 1)},
    }[field]
    data[field] = many
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(data)
    assert any(p.location == field and f"the most is {most:,}" in p.message for p in refused.value.problems), (
        refused.value.problems[:3]
    )


def test_a_table_of_wording_too_long_is_refused_in_words_not_with_a_type_error() -> None:
    data = policy_data()
    data["wording"] = {"en": {"alternatives": {f"a{i}": {"description": "x"} for i in range(10_001)}}}
    with pytest.raises(PolicyError) as refused:
        Policy.model_validate(data)
    assert [(p.location, p.message) for p in refused.value.problems] == [
        ("wording.en.alternatives", "has more than 10,000 alternative ids; the most is 10,000")
    ]
    data["wording"] = {chr(97 + i // 26) + chr(97 + i % 26): {} for i in range(101)}
    with pytest.raises(PolicyError, match="has more than 100 locales; the most is 100"):
        Policy.model_validate(data)
