"""``recovery_rules.testing`` as a host app's own test suite uses it, written from docs/reference/api/testing.md and
docs/how-to/property-test-your-policy.md alone: its own policy (yen or dinars, its own tiers, categories and
business hours), its own Hypothesis profile, pytest-xdist, and the failing examples it copies into plain tests."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings

from recovery_rules import Complaint, Customer, InvalidInputError, Money, Policy, Remedy, Resolution, presets
from recovery_rules.testing import DecisionInput, check_policy, decision_violations, decisions

RITZ = presets.ritz_carlton()  # in New York
LATE = datetime.datetime(2026, 11, 24, 3, 10, tzinfo=datetime.UTC)  # 22:10 on the 23rd in New York


def _ramen_shop() -> Policy:
    """A host's own policy: yen (no minor unit), its own tiers and categories, a 30-day cap beside its day, and
    business hours in Tokyo with a closed date every year and one this year."""
    free = {"value": "0", "applies_to": ["*"]}
    return Policy.model_validate(
        {
            "name": "Ramen-ya",
            "currency": "JPY",
            "timezone": "Asia/Tokyo",
            "window": "day",
            "hard_cap": "20000",
            "caps": [{"limit": "50000", "window": "30d"}],
            "categories": ["cold_soup", "wrong_order"],
            "levels": [
                {"name": "staff", "limit": "1500", "tier_limits": {"jouren": "3000"}},
                {"name": "tencho", "limit": "unlimited", "callback_within": "1h"},
            ],
            "denials_delivered_by": "tencho",
            "business_hours": {
                **dict.fromkeys(("monday", "tuesday", "thursday", "friday", "saturday", "sunday"), "11:00-22:00"),
                "wednesday": "closed",
                "closed": ["--01-01", "2026-12-31"],
            },
            "catalog": [
                {"id": "remake", "kind": "remake", "description": "We make it again.", **free},
                {"id": "call", "kind": "callback", "description": "The tencho calls you.", **free},
                {"id": "note", "kind": "follow_up", "description": "A written follow-up.", **free},
                {"id": "gyoza", "kind": "comp", "description": "Gyoza.", "value": "450", "applies_to": ["cold_soup"]},
            ],
        }
    )


def _late_decision() -> DecisionInput:
    """A complaint received at 22:10 in New York, 03:10 UTC the next day: the Ritz files it under the 23rd."""
    complaint = Complaint(
        customer=Customer(id="10442"),
        category="noise",
        requested=Remedy(kind="refund", amount=Money("150.00", "USD")),
        received_at=LATE,
    )
    return DecisionInput(complaint=complaint, by="staff", granted=Money("0.00", "USD"), now=LATE)


def _pasted(decision: DecisionInput, policy: Policy) -> Resolution:
    """What the printed call decides, pasted into a test module that imports the names it uses."""
    namespace = {"policy": policy, "Complaint": Complaint, "Money": Money, "datetime": datetime, "zoneinfo": zoneinfo}
    resolution = eval(str(decision), namespace)  # noqa: S307 - the call the library prints, run as a host pastes it
    assert isinstance(resolution, Resolution)
    return resolution


# -- a failing example, copied into a plain test, decides the same ----------------------------------------------


def test_a_decision_input_pasted_as_printed_decides_as_the_decision_itself() -> None:
    """how-to: "A DecisionInput prints as the Python call that decides it, ready to paste into a plain test"."""
    decision = _late_decision()
    assert str(decision.run(RITZ).complaint_number) == "20261123-10442"
    assert str(_pasted(decision, RITZ).complaint_number) == "20261123-10442"  # was 20261124-10442, the UTC date
    assert _pasted(decision, RITZ) == decision.run(RITZ)


def test_hypothesis_prints_a_failing_decision_input_as_the_call_that_decides_it() -> None:
    """how-to: "When a property fails, Hypothesis shrinks the input ... and prints it. A DecisionInput prints as the
    Python call that decides it, ready to paste into a plain test"."""

    @settings(max_examples=5, database=None, derandomize=True, phases=[Phase.generate])  # printed without shrinking
    @given(decisions(RITZ))
    def never_holds(decision: DecisionInput) -> None:
        raise AssertionError(decision.by)

    with pytest.raises(AssertionError) as failed:
        never_holds()
    printed = "\n".join(getattr(failed.value, "__notes__", []))
    assert "=policy.decide(Complaint.model_validate_json(" in printed, printed


def test_a_decision_input_whose_windows_are_a_dict_prints_as_the_same_call_as_with_pairs() -> None:
    """``windows`` given as ``Policy.decide`` takes ``granted`` (a dict of amounts by window): ``run`` and
    ``decision_violations`` accept it; printing it raised ``ValueError: too many values to unpack``."""
    incident, thirty_days = RITZ.windows
    pairs = ((incident, Money("0.00", "USD")), (thirty_days, Money("50.00", "USD")))
    as_pairs = DecisionInput(**{**vars(_late_decision()), "windows": pairs})
    as_dict = DecisionInput(**{**vars(_late_decision()), "windows": dict(pairs)})  # as decide takes granted
    assert as_dict.run(RITZ) == as_pairs.run(RITZ)
    assert decision_violations(RITZ, as_dict) == []
    assert str(as_dict) == str(as_pairs)


def test_decision_violations_refuses_a_raise_by_past_the_largest_amount_naming_raise_by() -> None:
    """The host built neither the complaint with ``model_copy`` nor ``model_construct``: ``raise_by`` is the argument
    to change, so the error names it, as it names a negative ``raise_by``."""
    with pytest.raises(InvalidInputError, match="raise_by"):
        decision_violations(RITZ, _late_decision(), raise_by=Money("999999999999999.00", "USD"))


# -- promises that hold, not checked elsewhere -------------------------------------------------------------------


@pytest.mark.slow
def test_an_exception_while_deciding_is_raised_as_it_is_with_the_input_in_its_notes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """how-to: "An exception while deciding a generated complaint fails the check too: it is raised as it is, with
    the smallest input that raises it in its notes"."""

    class HostAppError(Exception):
        """An error of the host's own code, around decide."""

    decide = Policy.decide

    def failing(self: Policy, complaint: Complaint, **kwargs: Any) -> Resolution:
        if complaint.requested.amount > Money("500.00", "USD"):
            raise HostAppError("over 500")
        return decide(self, complaint, **kwargs)

    monkeypatch.setattr(Policy, "decide", failing)
    with pytest.raises(HostAppError) as raised:
        check_policy(RITZ, max_examples=50, seed=3)
    assert type(raised.value) is HostAppError
    assert str(raised.value) == "over 500"
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    assert "decision=" in notes, notes
    assert "raise_by=" in notes, notes


def test_check_policy_with_a_seed_decides_the_same_complaints_on_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """how-to/docstring: "Pass seed to explore the same examples on every run (reproducible CI)", for a host's own
    policy in yen, whatever Hypothesis profile the host loaded; another seed explores others."""
    policy = _ramen_shop()
    decided: list[str] = []
    decide = Policy.decide

    def recording(self: Policy, complaint: Complaint, **kwargs: Any) -> Resolution:
        decided.append(f"{complaint.model_dump_json()} {kwargs}")
        return decide(self, complaint, **kwargs)

    monkeypatch.setattr(Policy, "decide", recording)
    runs = []
    for seed in (7, 7, 8):
        decided.clear()
        check_policy(policy, max_examples=15, seed=seed)
        runs.append(list(decided))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert all('"currency":"JPY"' in call for call in runs[0])


@pytest.mark.slow
def test_check_policy_passes_a_host_policy_in_yen_with_its_own_tiers_categories_and_business_hours() -> None:
    """No assumption of dollars or of the presets: a policy in a currency without minor units, with its own tier,
    categories, a stacked cap and business hours closed on dates, keeps every promise of the library."""
    check_policy(_ramen_shop(), max_examples=150, seed=11)


@pytest.mark.slow
def test_importing_the_testing_module_leaves_the_host_s_hypothesis_profile_alone() -> None:
    """A host registers and loads its own profile first; importing recovery_rules.testing registers none and keeps
    the loaded one (the library's own profiles live in its tests' conftest, not in the module)."""
    code = textwrap.dedent(
        """
        from hypothesis import settings
        settings.register_profile("host", max_examples=7, derandomize=True)
        settings.load_profile("host")
        before = dict(settings._profiles)
        import recovery_rules.testing
        assert settings.default.max_examples == 7 and settings.default.derandomize, settings.default
        assert settings._current_profile == "host", settings._current_profile
        assert dict(settings._profiles) == before, set(settings._profiles) - set(before)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.slow
def test_the_how_to_s_test_file_passes_in_a_host_suite_run_with_xdist_and_the_host_s_own_profile(
    tmp_path: Path,
) -> None:
    """The how-to's policy.toml and test_policy.py, as a host's CI runs them: pytest -n 2, a conftest loading the
    host's own profile (which the strategies' tests then run under)."""
    page = Path(__file__).parents[1] / "docs" / "how-to" / "property-test-your-policy.md"
    text = page.read_text(encoding="utf-8")
    toml = text.split('```toml title="policy.toml"\n', 1)[1].split("    ```", 1)[0]
    (tmp_path / "policy.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    test_file = text.split('```python title="test_policy.py"\n', 1)[1].split("```", 1)[0]
    (tmp_path / "test_policy.py").write_text(
        test_file
        + textwrap.dedent(
            """

            def test_the_host_profile_is_loaded() -> None:
                assert settings.default.max_examples == 9
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "conftest.py").write_text(
        'from hypothesis import settings\nsettings.register_profile("host", max_examples=9, deadline=None)\n'
        'settings.load_profile("host")\n',
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q", "test_policy.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout, run.stdout
