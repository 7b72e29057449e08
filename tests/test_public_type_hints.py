"""typing.get_type_hints works on the public API, as host tools (FastAPI, pydantic's validate_call, sphinx) call it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import typing
from collections.abc import Callable, Mapping

import pytest

import recovery_rules
from recovery_rules import metrics

# Named on purpose: importing Case where the wording lives would load cases (a fifth of the wording's import
# time) for every host that only words decisions; see the CHANGELOG.
_UNRESOLVED = {"recovery_rules.Wording.say_next", "recovery_rules.Wording.say_history"}

# Run in a fresh process, every lazily loaded module loaded by import and not by the package's attribute look-up,
# so that no hint resolves only because a test looked a name up on the package earlier.
_WALK = """
import importlib, inspect, json, sys, typing
import recovery_rules
from recovery_rules._values._exported import LOADED_ON_FIRST_USE

PUBLIC = ("testing", "metrics", "proof", "presets", "files", "exceptions")
unresolved, checked = {}, []


def check(label, value):
    checked.append(label)
    for extras in (False, True):
        try:
            typing.get_type_hints(value, include_extras=extras)
        except Exception as error:
            unresolved[label] = f"{type(error).__name__}: {error}"


def ours(function):
    return getattr(function, "__module__", "").startswith("recovery_rules")  # pydantic adds its own hooks


def members(cls):
    for name, member in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, property):
            member = member.fget
        elif isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        elif hasattr(member, "func"):  # functools.cached_property
            member = member.func
        if inspect.isfunction(member) and ours(member):
            yield name, member


modules = {"recovery_rules": recovery_rules}
modules.update({f"recovery_rules.{name}": importlib.import_module(f"recovery_rules.{name}") for name in PUBLIC})
for module_name, module in modules.items():
    for name in module.__all__:
        if module is recovery_rules and name in LOADED_ON_FIRST_USE:
            value = getattr(importlib.import_module("recovery_rules." + LOADED_ON_FIRST_USE[name]), name)
        else:
            value = getattr(module, name)
        label = f"{module_name}.{name}"
        if isinstance(value, type):
            check(label, value)
            for member_name, member in members(value):
                check(f"{label}.{member_name}", member)
        elif inspect.isfunction(value):
            check(label, value)
looked_up = sorted(set(LOADED_ON_FIRST_USE) & set(vars(recovery_rules)))
print(json.dumps({"unresolved": unresolved, "checked": checked, "looked_up": looked_up}))
"""


@pytest.mark.slow
def test_get_type_hints_works_for_every_public_class_method_and_function() -> None:
    done = subprocess.run([sys.executable, "-c", _WALK], check=True, timeout=120, capture_output=True, text=True)
    walk = json.loads(done.stdout)
    assert walk["looked_up"] == [], "the walk looked names up on the package: it would not test a fresh import"
    assert len(walk["checked"]) > 300
    for label in ("recovery_rules.Money", "recovery_rules.Journal", "recovery_rules.DurableEngine.decide"):
        assert label in walk["checked"]
    assert walk["unresolved"].keys() == _UNRESOLVED, walk["unresolved"]


def test_the_hints_name_the_types_themselves() -> None:
    from recovery_rules import Case, Event, Journal, Wording  # noqa: PLC0415 - loaded on first use

    assert typing.get_type_hints(recovery_rules.Money)["amount"].__name__ == "Decimal"
    assert typing.get_type_hints(recovery_rules.Window)["kind"] == typing.Literal["incident", "day", "rolling"]
    assert typing.get_type_hints(recovery_rules.CaseView)["history"] == tuple[Event, ...]
    journal = typing.get_type_hints(Journal)
    assert journal["_clock"] == Callable[[], dt.datetime] | None
    assert typing.get_type_hints(metrics.report)["journal"] is Journal
    assert typing.get_type_hints(recovery_rules.Draft)["data"].__origin__ is Mapping
    say = typing.get_type_hints(Wording.say)
    assert say["resolution"] is recovery_rules.Resolution
    assert typing.get_type_hints(Case.escalate)["return"] is Event
    assert typing.get_type_hints(recovery_rules.DurableEngine.decide)["complaint"] is recovery_rules.Complaint


def test_pydantic_validates_a_call_of_a_public_function() -> None:
    pydantic = pytest.importorskip("pydantic")

    checked = pydantic.validate_call(config={"arbitrary_types_allowed": True})(metrics.report)
    with pytest.raises(pydantic.ValidationError, match="journal"):
        checked("not a journal")
