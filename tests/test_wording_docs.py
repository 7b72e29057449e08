"""The wording how-to: its policy tables load and its reference matches the library (test_docs_pages runs its code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recovery_rules import Policy, presets
from recovery_rules._wording._locale import MESSAGES

PAGE = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "customize-wording.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)


@pytest.mark.parametrize("table", [block for block in blocks("toml") if block.startswith("[wording.en")])
def test_the_english_policy_tables_load(table: str) -> None:
    policy = Policy.from_text(presets.path("ritz-carlton").read_text(encoding="utf-8") + "\n" + table)
    assert policy.wording["en"]


def test_the_reference_lists_every_message_with_its_slots() -> None:
    rows = re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \| (.*) \|$", PAGE.read_text(encoding="utf-8"), flags=re.M)
    documented: dict[str, tuple[list[str], list[str]]] = {}
    for names, slots in rows:
        listed = re.findall(r"(\*\*)?`([a-z_]+)`", slots)
        for name in re.findall(r"`([a-z_]+)`", names):
            documented[name] = ([slot for _, slot in listed], [slot for bold, slot in listed if bold])
    for name, spec in MESSAGES.items():
        assert name in documented, name
        slots, required = documented[name]
        assert slots == list(spec.slots), name
        assert sorted(required) == sorted(spec.required), name
    assert set(documented) == set(MESSAGES)
