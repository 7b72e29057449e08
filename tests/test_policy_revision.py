"""``Policy.revision``: a stable hash of a policy's content, whatever its spelling."""

from __future__ import annotations

import collections.abc
import copy
import functools
import itertools
import json
import pickle
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Policy, PolicyError, presets
from recovery_rules.testing import policies

from ._helpers import examples, policy_data

SMALL = """
name = "Small shop"
currency = "USD"
window = "30d"
hard_cap = "500"
denials_delivered_by = "manager"

[[levels]]
name = "clerk"
limit = "50"

[[levels]]
name = "manager"
limit = "unlimited"
callback_within = "2h"

[[catalog]]
id = "other-branch"
kind = "other_branch"
description = "Check the other branch."
value = "0"
applies_to = ["*"]

[[catalog]]
id = "store-credit"
kind = "credit"
description = "Store credit."
value = "10"
applies_to = ["*"]

[[catalog]]
id = "manager-note"
kind = "note"
description = "A note from the manager."
value = "0"
applies_to = ["*"]

[[catalog]]
id = "callback"
kind = "callback"
description = "Call back."
value = "0"
applies_to = ["*"]
"""

PRESETS = sorted(Path(presets.__file__).parent.glob("*.toml"))


def _shuffled(value: Any, order: st.DataObject) -> Any:
    """``value`` with every mapping's keys in an order hypothesis picks (lists keep their order)."""
    if isinstance(value, dict):
        keys = order.draw(st.permutations(sorted(value)))
        return {key: _shuffled(value[key], order) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, order) for item in value]
    return value


def test_the_revision_is_a_sha256_pinned_across_releases() -> None:
    # Journals keep the revisions of the policies that decided their cases: the same policy must keep its
    # revision from one release to the next, so the way it is computed is pinned here.
    revision = Policy.from_text(SMALL).revision
    assert len(revision) == 64
    assert not revision.strip("0123456789abcdef")
    assert revision == "70490c4f270908e646396bd1432c7630bcde05dcaaaebeadd1d2f429f281d97d"


@pytest.mark.parametrize("path", PRESETS, ids=lambda path: path.stem)
def test_the_same_policy_in_toml_json_and_yaml_has_one_revision(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    from_toml = Policy.from_text(text)
    assert Policy.from_text(json.dumps(data), format="json").revision == from_toml.revision
    assert Policy.from_text(yaml.safe_dump(data), format="yaml").revision == from_toml.revision
    assert Policy.from_file(path).revision == from_toml.revision


@settings(max_examples=25)
@given(order=st.data())
def test_key_order_does_not_change_the_revision(order: st.DataObject) -> None:
    data = tomllib.loads(SMALL)
    shuffled = _shuffled(data, order)
    assert Policy.from_text(json.dumps(shuffled), format="json").revision == Policy.from_text(SMALL).revision


def test_spelling_and_defaults_do_not_change_the_revision() -> None:
    respelled = (
        SMALL.replace('limit = "50"', 'limit = "50.00"')
        .replace('"2h"', '"120m"')
        .replace('hard_cap = "500"', "hard_cap = 500")
        .replace('window = "30d"', 'window = "30d"\nmin_alternatives = 3\nstrict_categories = false\ndescription = ""')
    )
    assert Policy.from_text(respelled).revision == Policy.from_text(SMALL).revision


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('limit = "50"', 'limit = "50.01"'),
        ('hard_cap = "500"', 'hard_cap = "501"'),
        ('"2h"', '"3h"'),
        ('window = "30d"', 'window = "7d"'),
        ('description = "Store credit."', 'description = "Store credit for the next visit."'),
        ('name = "Small shop"', 'name = "Small shop 2"'),
        ('window = "30d"', 'window = "30d"\nmin_alternatives = 2'),
    ],
)
def test_any_change_changes_the_revision(old: str, new: str) -> None:
    changed = SMALL.replace(old, new, 1)
    assert changed != SMALL
    assert Policy.from_text(changed).revision != Policy.from_text(SMALL).revision


# One change to each field of a policy (of tests/_helpers.py's policy_data), every field listed.
FIELD_CHANGES: dict[str, Any] = {
    "name": "Test hotel 2",
    "description": "The hotel by the station",
    "currency": "EUR",
    "timezone": "Europe/Berlin",
    "window": "30d",
    "levels": [
        {**level, "limit": "101.00"} if level["name"] == "staff" else level for level in policy_data()["levels"]
    ],
    "hard_cap": "4000.00",
    "caps": [{"limit": "3000.00", "window": "30d"}],
    "min_alternatives": 2,
    "denials_delivered_by": "supervisor",
    "catalog": [{**entry, "value": "16"} if entry["id"] == "drink" else entry for entry in policy_data()["catalog"]],
    "refused_remedies": ["cash"],
    "remedy_kinds": ["refund", "credit", "voucher"],
    "categories": ["room_not_ready", "out_of_stock", "noise"],
    "strict_categories": True,
    "customer_noun": "customer",
    "require_employee": True,
    "wording": {"en": {"messages": {"apology": "So sorry!"}}},
    "business_hours": {"default": "09:00-17:00"},
    "personal_call_within": "2d",
}


def test_every_field_of_a_policy_is_listed_with_a_change() -> None:
    """The test below changes every field: a field added to the policy must be added to it."""
    assert set(FIELD_CHANGES) == set(Policy.model_fields)


@pytest.mark.parametrize("field", sorted(FIELD_CHANGES))
def test_a_change_to_any_field_changes_the_revision(field: str) -> None:
    """Every field of a policy is part of what its revision hashes: a policy changed in any one field has another
    revision (a record naming the revision names the policy that decided)."""
    changed = policy_data(**{field: FIELD_CHANGES[field]})
    assert changed != policy_data()
    assert Policy.model_validate(changed).revision != Policy.model_validate(policy_data()).revision


def test_a_copy_changed_without_validation_has_the_revision_of_its_own_content() -> None:
    policy = Policy.from_text(SMALL)
    renamed = policy.model_copy(update={"name": "Small shop 2"})
    assert renamed.revision == Policy.from_text(SMALL.replace('"Small shop"', '"Small shop 2"')).revision
    assert renamed.revision != policy.revision


# -- business hours: the week they mean, however it is written ---------------------------------------------------

RITZ_TEXT = presets.path("ritz-carlton").read_text(encoding="utf-8")
RITZ_HOURS = '[business_hours]\ndefault = "07:00-22:00"\n'
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _ritz_with_hours(table: str) -> Policy:
    assert RITZ_HOURS in RITZ_TEXT
    return Policy.from_text(RITZ_TEXT.replace(RITZ_HOURS, "[business_hours]\n" + table))


def _days(**hours: str) -> str:
    return "".join(f'{day} = "{text}"\n' for day, text in hours.items())


def test_the_presets_keep_their_revisions() -> None:
    # printed in the docs and recorded in journals: the week's one spelling is the one the presets write
    assert presets.ritz_carlton().revision == "f5ecf74eab092051c3027e2476c342b06ae3a56fe743fdb475e981f5205c8b87"
    assert presets.retail().revision == "a85d3e8c6faa1b0011fabccb8387689e2e4a0c99319f57333bd385688a1dca01"
    assert presets.theme_park().revision == "294ea4ff4b5c54ab7652c67be17c4b7a4aab034a730d91aa09d3e581077322b6"


@pytest.mark.parametrize(
    "table",
    [
        'default = "07:00-22:00"\nmonday = "07:00-22:00"\n',  # a day written as its default
        _days(**dict.fromkeys(DAYS, "07:00-22:00")),  # every day, no default
        'default = "09:00-10:00"\n' + _days(**dict.fromkeys(DAYS, "07:00-22:00")),  # a default no day uses
        'default = "07:00-12:00, 12:00-22:00"\n',  # two periods that touch: the same open time
        'default = "12:00-22:00,07:00-12:00"\nfriday = " 7:00 - 22:00 "\n',
    ],
)
def test_business_hours_written_day_by_day_have_the_revision_of_the_week_they_mean(table: str) -> None:
    assert _ritz_with_hours(table).revision == presets.ritz_carlton().revision


def test_a_closed_day_has_one_revision_however_the_week_is_written() -> None:
    week = dict.fromkeys(DAYS, "09:00-21:00") | {"sunday": "closed"}
    spellings = [
        'default = "09:00-21:00"\nsunday = "closed"\n',
        'default = "closed"\n' + _days(**dict.fromkeys(DAYS[:6], "09:00-21:00")),
        _days(**week),
        'default = "09:00-21:00"\nsunday = " closed "\n',
    ]
    revisions = {_ritz_with_hours(table).revision for table in spellings}
    assert len(revisions) == 1
    assert revisions != {presets.ritz_carlton().revision}


@pytest.mark.parametrize(
    "table",
    [
        'default = "07:00-22:00"\nmonday = "07:00-21:59"\n',
        'default = "07:00-22:00"\nsunday = "closed"\n',
        'default = "07:00-12:00, 12:01-22:00"\n',
        _days(**dict.fromkeys(DAYS[1:], "07:00-22:00"), monday="08:00-22:00"),
    ],
)
def test_other_hours_on_any_day_change_the_revision(table: str) -> None:
    assert _ritz_with_hours(table).revision != presets.ritz_carlton().revision


# -- hashing: a policy hashes as its revision, consistently with == ----------------------------------------------


@settings(max_examples=examples(50))
@given(policy=policies(), other=policies(max_levels=1, max_catalog=0, currencies=("USD",)), data=st.data())
def test_equal_policies_hash_equal_however_they_were_made(policy: Policy, other: Policy, data: st.DataObject) -> None:
    as_json = json.dumps(policy.model_dump(mode="json"))
    shuffled = json.dumps(_shuffled(json.loads(as_json), data))
    copies = [
        Policy.model_validate(policy.model_dump()),
        Policy.from_text(as_json, format="json"),  # its file/JSON form, read back
        Policy.from_text(shuffled, format="json"),
        Policy.from_text(yaml.safe_dump(json.loads(as_json)), format="yaml"),
        policy.model_copy(),  # no compiled indexes: checked when hashed
        copy.deepcopy(policy),
        pickle.loads(pickle.dumps(policy)),  # noqa: S301 - our own bytes, just made
    ]
    for again in copies:
        assert again == policy
        assert hash(again) == hash(policy)
    for one, two in itertools.combinations([policy, other, *copies], 2):
        if one == two:  # what == compares, the hash covers
            assert hash(one) == hash(two)
    assert hash(policy) == hash(policy.revision)
    assert len({policy, *copies}) == 1
    assert {policy: "kept"}[copies[1]] == "kept"


def test_a_policy_is_hashable_and_works_with_functools_cache() -> None:
    calls: list[str] = []

    @functools.lru_cache(maxsize=8)
    def levels_of(policy: Policy) -> tuple[str, ...]:
        calls.append(policy.name)
        return tuple(level.name for level in policy.levels)

    small = Policy.from_text(SMALL)
    assert isinstance(small, collections.abc.Hashable)
    assert levels_of(small) == ("clerk", "manager")
    assert levels_of(Policy.from_text(json.dumps(tomllib.loads(SMALL)), format="json")) == ("clerk", "manager")
    renamed = small.model_copy(update={"name": "Small shop 2"})
    assert levels_of(renamed) == ("clerk", "manager")
    assert calls == ["Small shop", "Small shop 2"]  # the JSON copy was the same policy: the cache answered
    assert len({small, renamed, presets.ritz_carlton(), presets.ritz_carlton()}) == 3


def test_a_copy_changed_into_a_policy_that_does_not_load_does_not_hash() -> None:
    # Fail closed: its hash is its revision, and a policy nobody checked has none (as it cannot decide).
    broken = Policy.from_text(SMALL).model_copy(update={"min_alternatives": 1})
    with pytest.raises(PolicyError, match="min_alternatives"):
        hash(broken)


def test_a_level_that_may_grant_every_kind_has_the_revision_of_one_that_names_none() -> None:
    """A ``may_grant`` listing every remedy kind, refused ones too, means what leaving it out means: it keeps
    the revision; one kind fewer changes what the level may grant, and the revision."""
    base = Policy.model_validate(policy_data())
    every = policy_data()
    every["levels"][0]["may_grant"] = list(reversed(base.vocabulary))
    assert Policy.model_validate(every).revision == base.revision
    fewer = policy_data()
    fewer["levels"][0]["may_grant"] = list(base.vocabulary[1:])
    assert Policy.model_validate(fewer).revision != base.revision
