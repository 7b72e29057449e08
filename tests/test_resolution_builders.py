"""The engine's fast builders make exactly what pydantic's ``model_construct`` makes, or are not used."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import pytest
from pydantic import BaseModel

from recovery_rules import Complaint, Customer, Money, Policy, ReadOnlyDict, Remedy, Resolution, TraceEntry, presets
from recovery_rules._engine import _resolution
from recovery_rules._values import _trusted

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def _decisions(policy: Policy) -> list[Resolution]:
    def asked(amount: str) -> Complaint:
        return Complaint(
            customer=Customer(id="G1"),
            category="room_not_ready",
            requested=Remedy(kind="refund", amount=Money(amount, policy.currency)),
            received_at=NOW,
        )

    return [
        policy.decide(asked(amount), by=policy.levels[0].name, now=NOW) for amount in ("50.00", "2500.00", "9000.00")
    ]


def test_the_fast_builders_are_in_use_with_the_pydantic_this_project_pins() -> None:
    # A pydantic release that lays models out differently turns them off (a slowdown, never a wrong model);
    # this test is the one that says so, so that it is looked into.
    assert _resolution.FAST_BUILDERS
    assert _resolution.trusted_resolution is _resolution._fast_resolution


def test_what_they_build_equals_what_model_construct_builds() -> None:
    for resolution in _decisions(presets.ritz_carlton()):
        fields = dict(resolution.__dict__)
        constructed = Resolution.model_construct(set(Resolution.model_fields), **fields)
        assert _resolution._same_model(resolution, constructed)
        assert _resolution._same_model(resolution, Resolution.model_validate(resolution.model_dump()))
        for entry in resolution.trace:
            assert _resolution._same_model(
                entry, TraceEntry.model_construct(set(TraceEntry.model_fields), **entry.__dict__)
            )


def test_the_built_models_behave_as_validated_ones() -> None:
    (approved, escalated, denied) = _decisions(presets.ritz_carlton())
    for resolution in (approved, escalated, denied):
        assert pickle.loads(pickle.dumps(resolution)) == resolution  # noqa: S301 - our own bytes, just made
        assert Resolution.model_validate_json(resolution.model_dump_json()) == resolution
        copy = resolution.model_copy(update={"reason": "changed"})
        assert copy.reason == "changed"
        assert resolution.reason != "changed"
        with pytest.raises(AttributeError, match="immutable"):
            resolution.reason = "changed"  # type: ignore[misc]  # the point: frozen


def test_a_trace_entrys_figures_are_read_only_however_the_resolution_was_made() -> None:
    """A resolution is a value: the figures it compared cannot be changed after the fact."""
    (approved, escalated, denied) = _decisions(presets.ritz_carlton())
    for resolution in (approved, escalated, denied):
        for made in (
            resolution,
            pickle.loads(pickle.dumps(resolution)),  # noqa: S301 - our own bytes, just made
            Resolution.model_validate_json(resolution.model_dump_json()),
            Resolution.model_validate(resolution.model_dump()),
            resolution.model_copy(deep=True),
        ):
            assert made == resolution
            for entry in made.trace:
                figures: Any = entry.figures  # a Mapping to mypy: changing it is the point
                assert type(figures) is ReadOnlyDict
                with pytest.raises(TypeError, match="read-only"):
                    figures["total"] = Money("0.00", "USD")
        assert any(entry.figures for entry in resolution.trace)  # the figures of some entry were tried
    built = _resolution._constructed_trace_entry("limit.authority", True, "a sample", {"total": Money("1.00", "USD")})
    assert type(built.figures) is ReadOnlyDict  # the slower builder keeps them read-only too
    fast = _resolution._fast_trace_entry("limit.authority", True, "a sample", {"total": Money("1.00", "USD")})
    assert type(fast.figures) is ReadOnlyDict  # so does the fast one, given a dict
    assert type(TraceEntry(rule="r", passed=True, message="m").figures) is ReadOnlyDict


def test_a_pydantic_that_builds_models_otherwise_turns_the_fast_builders_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _resolution._fast_builders_agree()

    def wrong(fields: dict[str, object]) -> Resolution:  # as if pydantic kept something else somewhere else
        resolution = _resolution._fast_resolution(fields)
        resolution.__dict__["reason"] = "not what was given"
        return resolution

    monkeypatch.setattr(_resolution, "_fast_resolution", wrong)
    assert not _resolution._fast_builders_agree()


def test_a_pydantic_with_other_slots_turns_the_fast_builders_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _trusted.slot_setters() is not None
    monkeypatch.setattr(BaseModel, "__slots__", (*BaseModel.__slots__, "__pydantic_something_new__"))
    assert _trusted.slot_setters() is None
