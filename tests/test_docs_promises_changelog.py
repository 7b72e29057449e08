"""The CHANGELOG's [Unreleased] promises (its Added and Changed entries) held against today's code (audit 143).

Each test quotes the entry it checks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from typing import Any

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    InvalidInputError,
    MemoryJournal,
    Money,
    Policy,
    Remedy,
    files,
    presets,
)

from ._docs import ROOT
from ._helpers import policy_data

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def _toml_hint(text: str) -> str | None:
    with pytest.raises(tomllib.TOMLDecodeError) as raised:
        tomllib.loads(text)
    return files.syntax_hint(text, raised.value)


def _json_hint(text: str) -> str | None:
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text)
    return files.syntax_hint(text, raised.value)


# -- "TOML and JSON syntax errors say how to fix the usual mistakes" ----------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("city = São\n", 'quote a text: "São"'),
        ("name = Zürich\n", 'quote a text: "Zürich"'),
        ("name = Ærø\n", 'quote a text: "Ærø"'),
        ("name = 東京\n", 'quote a text: "東京"'),
    ],
)
def test_a_toml_text_not_in_quotes_is_quoted_whole_when_it_has_letters_outside_ascii(text: str, hint: str) -> None:
    # CHANGELOG, Added: "a text or an amount with its currency not in quotes (... quote a text: "Harbour")".
    assert _toml_hint(text) == hint


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("{café: 1}", 'quote the name: "café"'),
        ('{"city": São}', 'quote a text: "São"'),
        ("{東京: 1}", 'quote the name: "東京"'),
    ],
)
def test_a_json_name_or_text_not_in_quotes_is_quoted_whole_when_it_has_letters_outside_ascii(
    text: str, hint: str
) -> None:
    # CHANGELOG, Added: "in JSON ... a name not in quotes".
    assert _json_hint(text) == hint


# -- "Case.open(..., incident=earlier_number) files a follow-up under an earlier incident" ------------------


def _complaint(amount: str, description: str = "") -> Complaint:
    return Complaint(
        customer=Customer(id="10442"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money(amount, "USD")),
        received_at=NOW,
        description=description,
    )


def _small_policy() -> Policy:
    levels = [{"name": "staff", "limit": "400.00"}, {"name": "manager", "limit": "500.00", "callback_within": "1h"}]
    return Policy.model_validate(policy_data(hard_cap="500.00", levels=levels))


def test_a_follow_up_of_a_follow_up_counts_against_the_first_incident() -> None:
    # A follow-up names the follow-up it follows, not the first case: its grants still count in the first incident.
    policy, journal = _small_policy(), MemoryJournal()
    first = Case.open(journal, policy, _complaint("300.00"), by="staff", now=NOW)
    first.listen(now=NOW)
    first.apologize(now=NOW)
    first.ask_preferred_solution(now=NOW)
    assert first.decide(now=NOW).outcome.value == "approved"
    second = Case.open(journal, policy, _complaint("150.00", "second"), by="staff", now=NOW, incident=first.number)
    third = Case.open(journal, policy, _complaint("150.00", "third"), by="staff", now=NOW, incident=second.number)
    third.listen(now=NOW)
    third.apologize(now=NOW)
    third.ask_preferred_solution(now=NOW)
    decided = third.decide(now=NOW)
    assert decided.outcome.value == "escalated"  # $300 + $150 is above staff's $400 in the first incident
    assert "$300.00 already granted" in decided.reason


def test_an_incident_that_is_not_a_complaint_number_is_refused_at_incident() -> None:
    policy, journal = _small_policy(), MemoryJournal()
    with pytest.raises(InvalidInputError) as refused:
        Case.open(journal, policy, _complaint("10.00"), by="staff", now=NOW, incident="not-a-number")
    assert [problem.location for problem in refused.value.problems] == ["incident"]
    assert list(journal.iter_events(1)) == []  # nothing recorded


# -- "explain_* messages for caps and their windows", "which a policy can reword" ---------------------------


def test_a_policy_rewords_the_caps_and_their_windows_in_a_decisions_trace() -> None:
    data: dict[str, Any] = presets.ritz_carlton().model_dump(mode="json")
    data["wording"] = {
        **(data.get("wording") or {}),
        "en": {
            "messages": {
                "explain_cap_window": "the {customer} ceiling of {amount} {window}",
                "explain_in_any": "within every {span}",
            }
        },
    }
    policy = Policy.model_validate(data)
    complaint = _complaint("12000.00")
    caps = [
        entry.message
        for entry in policy.decide(complaint, by="general_manager", now=NOW).trace
        if entry.rule == "cap.hard"
    ]
    assert "$12,000.00 asked is over the guest ceiling of $10,000.00 within every 30 days" in caps
    assert "$12,000.00 asked is over the guest ceiling of $10,000.00 per incident" in caps


# -- Keep a Changelog 1.1.0 ---------------------------------------------------------------------------------


def test_every_version_heading_of_the_changelog_has_its_link_at_the_bottom() -> None:
    # "The format is based on Keep a Changelog 1.1.0": each version's heading links to its comparison,
    # "[unreleased]: https://.../compare/v1.1.1...HEAD", defined at the bottom of the file.
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert versions
    defined = {name.lower() for name in re.findall(r"^\[([^\]]+)\]: \S+", text, flags=re.MULTILINE)}
    assert [version for version in versions if version.lower() not in defined] == []


# -- "files.decode_text(raw) ... (a UTF-16 file is named as such)" -------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_a_utf_32_file_is_named_utf_32_not_utf_16(encoding: str) -> None:
    raw = 'name = "Harbour"\n'.encode(encoding)
    if encoding != "utf-32":  # the BOM the plain codec writes; the others write none
        raw = "\ufeff".encode(encoding) + raw
    with pytest.raises(InvalidInputError) as refused:
        files.decode_text(raw)
    (problem,) = refused.value.problems
    assert (problem.line, problem.column) == (1, 1)
    assert "it is UTF-32 text" in problem.message


def test_a_utf_16_file_is_named_as_such_at_its_first_byte() -> None:
    for encoding in ("utf-16-le", "utf-16-be"):
        with pytest.raises(InvalidInputError) as refused:
            files.decode_text("\ufeffname = 'Harbour'\n".encode(encoding))
        (problem,) = refused.value.problems
        assert (problem.line, problem.column) == (1, 1)
        assert "it is UTF-16 text" in problem.message
