"""A decision's reason and trace are written in one place: the locale's explain_* messages."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import Complaint, Customer, Money, Policy, PolicyError, Remedy, presets
from recovery_rules._engine._explanation import ENGLISH, Explanation, explanation, span
from recovery_rules._wording._locale import BUILT_IN, MESSAGES

from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
RULES = Path(__file__).resolve().parents[1] / "src" / "recovery_rules" / "_engine" / "_rules.py"


def asked(amount: str, kind: str = "refund") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind=kind, amount=Money(amount, "USD")),
        received_at=NOW,
    )


def with_english(**messages: str) -> Policy:
    data: dict[str, Any] = policy_data()
    data["wording"] = {"en": {"messages": messages}}
    return Policy.model_validate(data)


def test_every_explain_message_is_in_the_built_in_english_and_in_the_explanation() -> None:
    names = {name.removeprefix("explain_") for name in MESSAGES if name.startswith("explain_")}
    assert names == set(Explanation.__dataclass_fields__)
    assert {f"explain_{name}" for name in names} <= set(BUILT_IN["en"].messages)


def test_the_reasons_say_what_the_built_in_english_says() -> None:
    ritz = presets.ritz_carlton()
    approved = ritz.decide(asked("250.00"), by="staff", now=NOW)
    assert approved.reason == ENGLISH.within_authority(
        totals="$250.00 asked", authority="Staff member's authority of $2,000.00"
    )
    escalated = ritz.decide(asked("2500.00"), by="staff", now=NOW)
    assert escalated.escalate_to is not None
    target = ritz.level(escalated.escalate_to)
    assert target.callback_within is not None
    assert escalated.reason == ENGLISH.reason_over_authority(
        totals="$2,500.00 asked",
        authority="Staff member's authority of $2,000.00",
        escalate_to=target.display_name,
    )
    (path,) = [entry.message for entry in escalated.trace if entry.rule == "escalation.path"]
    assert path == ENGLISH.escalation(
        escalate_to=target.display_name,
        total="$2,500.00",
        customer="guest",
        within=span(ENGLISH, target.callback_within),
    )


def test_a_policy_rewords_a_reason_in_its_english() -> None:
    policy = with_english(explain_over_cap="{totals} would pass {cap}, so we cannot")
    resolution = policy.decide(asked("6000.00"), by="staff", now=NOW)
    assert resolution.reason == "$6,000.00 asked would pass the per-guest cap of $5,000.00, so we cannot"
    assert [entry.message for entry in resolution.trace if entry.rule == "cap.hard"] == [resolution.reason]


def test_a_reworded_reason_must_name_what_the_rule_compared() -> None:
    with pytest.raises(PolicyError, match=r"explain_over_cap.*\{cap\}"):
        with_english(explain_over_cap="{totals} is too much")


def test_a_reworded_reason_passes_the_phrase_check() -> None:
    with pytest.raises(PolicyError, match="explain_reason_refused"):
        with_english(explain_reason_refused="That's our policy: no '{remedy_kind}'")


def test_time_spans_are_said_in_words() -> None:
    assert [span(ENGLISH, dt.timedelta(minutes=m)) for m in (1440, 2880, 60, 120, 90)] == [
        "1 day",
        "2 days",
        "1 hour",
        "2 hours",
        "90 minutes",
    ]
    french = explanation({"explain_hours": "{count} heures"})
    assert span(french, dt.timedelta(hours=3)) == "3 heures"


def test_the_engine_writes_no_sentence_of_its_own() -> None:
    # Every word a resolution says comes from the locale: no piece of an explain_* message is in the engine.
    tree = ast.parse(RULES.read_text(encoding="utf-8"))
    documentation = {  # docstrings, and the rules' own descriptions (RULES), may quote what a finding says
        id(node)
        for parent in ast.walk(tree)
        for node in ast.walk(parent)
        if (isinstance(parent, ast.Expr) and isinstance(parent.value, ast.Constant))
        or (isinstance(parent, ast.AnnAssign) and ast.unparse(parent.target) == "RULES")
    }
    source = "\n".join(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation
    )
    pieces = {
        piece.strip()
        for name, text in BUILT_IN["en"].messages.items()
        if name.startswith("explain_")
        for piece in text.replace("{", "}").split("}")[::2]
        if len(piece.strip()) >= 12 and " " in piece.strip()
    }
    assert len(pieces) >= 20
    assert [piece for piece in sorted(pieces) if piece in source] == []


def test_a_filled_message_keeps_what_its_slots_hold_as_text() -> None:
    words = explanation({"explain_over_cap": "{totals} is over {cap}: a {{ and 'quotes' \\\\ kept"})
    filled = words.over_cap(totals="{0.__class__}", cap="f'{x}' %s")
    assert filled == "{0.__class__} is over f'{x}' %s: a { and 'quotes' \\\\ kept"
    with pytest.raises(TypeError):
        words.over_cap(totals="a")  # every slot, by name


def test_the_built_in_wording_is_made_on_first_use_once_for_every_thread() -> None:
    # Importing the library neither reads the built-in locale nor compiles the phrase check's patterns: a
    # program that never speaks to a customer does not pay for them. The first use makes each once, and
    # threads that all ask at once get the very same values.
    code = (
        "import threading\n"
        "import recovery_rules\n"
        "from recovery_rules._engine import _explanation\n"
        "from recovery_rules._wording import _locale, _phrases\n"
        "made = [f for f in (_locale.built_in, _explanation.built_in_explanation, _phrases._rules)"
        " if f.cache_info().currsize]\n"
        "assert not made, made\n"
        "barrier, seen = threading.Barrier(8), []\n"
        "def use():\n"
        "    barrier.wait()\n"
        "    seen.append((_explanation.built_in_explanation().reason_refused(remedy_kind='cash'),"
        " _phrases.forbidden_phrases('No.'), _locale.BUILT_IN['en'].messages == _locale.built_in()['en'].messages))\n"
        "threads = [threading.Thread(target=use) for _ in range(8)]\n"
        "for thread in threads: thread.start()\n"
        "for thread in threads: thread.join()\n"
        "assert len(seen) == 8 and len(set(seen)) == 1 and seen[0][1] and seen[0][2], seen\n"
        "assert _explanation.ENGLISH is _explanation.built_in_explanation()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
