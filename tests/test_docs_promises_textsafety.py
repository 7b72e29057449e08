"""Text from outside (a customer's name, a policy's free text) where it is shown: the command line's output
(docs/cli/index.md), what the employee says (docs/how-to/customize-wording.md) and the console's words."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recovery_rules import (
    Complaint,
    Customer,
    InvalidInputError,
    Money,
    Policy,
    PolicyError,
    Remedy,
    Resolution,
    Wording,
    presets,
)

from ._cli import CANDIDATE, COMPLAINT, run
from ._server import complaint, serve

NOW = dt.datetime(2026, 11, 23, 17, 5, tzinfo=dt.UTC)
NOW_TEXT = "2026-11-23T15:20:00-05:00"
BIDI_MARKS = "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks: Unicode's other bidi controls
FAKE_PARAGRAPH = "Good news: I can give you the $6,000.00 refund right now, and I'll take care of it myself."
MULTI_LINE_NAME = f"Ada\n\n{FAKE_PARAGRAPH}\n\nAda"

_OPENERS = {"\u202a", "\u202b", "\u202d", "\u202e"}  # embeddings and overrides, closed by U+202C or a paragraph's end
_ISOLATES = {"\u2066", "\u2067", "\u2068"}  # isolates, closed by U+2069 (which closes what was opened inside too)


def _open_bidi(text: str) -> list[str]:
    """The bidi embeddings, overrides and isolates still open at the end of ``text`` (Unicode's rules X1-X8)."""
    stack: list[str] = []
    for character in text:
        if character in "\n\r\u2029":  # a paragraph separator ends them all
            stack.clear()
        elif character in _OPENERS or character in _ISOLATES:
            stack.append(character)
        elif character == "\u202c" and stack and stack[-1] in _OPENERS:
            stack.pop()
        elif character == "\u2069" and any(opened in _ISOLATES for opened in stack):
            while stack.pop() not in _ISOLATES:
                pass
    return stack


def _escalation() -> Resolution:
    policy = presets.ritz_carlton()
    complaint = Complaint(
        customer=Customer(id="10442", tier="gold"),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=Money("6000.00", "USD")),
        received_at=dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC),
    )
    return policy.decide(complaint, by="staff", now=NOW)


@pytest.mark.slow
@pytest.mark.parametrize("json", [False, True], ids=["text", "json"])
def test_the_command_line_shows_every_bidi_control_as_an_escape(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, json: bool
) -> None:
    text = Path(CANDIDATE).read_text(encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(text.replace('name = "Harbour Hotel', f'name = "Harbour{BIDI_MARKS} Hotel', 1), encoding="utf-8")
    decide = ["decide", "-p", str(policy), COMPLAINT, "--by", "front_desk", "--now", NOW_TEXT]
    result = run(capsys, *decide, *(["--json"] if json else []))
    assert result.code == 0, result.err
    assert "Harbour" in result.out
    assert re.search(f"[{BIDI_MARKS}]", result.out + result.err) is None
    assert "\\u200e\\u200f\\u061c" in result.out  # shown, visibly; in JSON the same escapes


def _case_page_words(name: str) -> str:
    """The words to say on the console's page of a case opened (through the API) for a customer named ``name``."""
    served = serve()
    try:
        body = {"complaint": complaint("6000.00", customer={"id": "10442", "tier": "gold", "name": name})}
        opened = served.post("/v1/cases", json=body, key="open-1")
        assert opened.status_code == 201, opened.text
        browser = TestClient(served.app, follow_redirects=False)
        assert browser.post("/console/sign-in", data={"token": served.tokens["staff"]}).status_code == 303
        page = browser.get(f"/console/cases/{opened.json()['complaint_number']}").text
    finally:
        served.journal.close()
    words = re.search("<blockquote>(.*?)</blockquote>", page, re.DOTALL)
    assert words is not None
    return html.unescape(words.group(1))


@pytest.mark.slow
def test_a_customers_name_adds_no_paragraph_to_the_consoles_words() -> None:
    words = _case_page_words(MULTI_LINE_NAME)
    assert words.startswith("I'm so sorry, Ada")
    assert "\n" not in words.split(" - let's figure this out!")[0]
    assert f"\n{FAKE_PARAGRAPH}" not in words


@pytest.mark.slow
def test_a_bidi_override_in_a_customers_name_ends_with_the_name_in_the_console() -> None:
    words = _case_page_words("Ada\u202e Guest")
    assert "Ada\u202e Guest" in words  # the name, as given
    assert _open_bidi(words[: words.index(" - let's figure this out!")]) == []


@pytest.mark.parametrize("how", ["say", "render"])
def test_a_customer_name_that_is_not_text_is_refused_by_the_wording(how: str) -> None:
    wording = Wording(presets.ritz_carlton())
    resolution = _escalation()
    words: Callable[[], str] = {
        "say": lambda: wording.say(resolution, customer_name="Ada\ud800"),
        "render": lambda: wording.render("apology_named", customer_name="Ada\ud800"),
    }[how]
    with pytest.raises(InvalidInputError, match="customer_name"):
        words()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com\u202e/moc.elgoog",
        "https://example.com/\u2066x",
        "https://example.com/\x1b]8;;x",
        "https://\x07a",
        "https://example.com/\x9b31m",
        "https://example.com/\u200fx",
        "https://example.com/\u061cx",
        "https://example.com/\u2069x",
    ],
    ids=["override", "isolate", "escape", "bell", "c1-csi", "rlm", "alm", "pop-isolate"],
)
def test_a_catalog_url_with_a_control_or_bidi_character_is_no_web_address(url: str) -> None:
    text = Path(CANDIDATE).read_text(encoding="utf-8")
    written = json.dumps(url)  # a TOML basic string takes JSON's escapes
    changed = text.replace('url = "https://example.com/quay-hotel"', f"url = {written}", 1)
    assert changed != text
    with pytest.raises(PolicyError, match=r"catalog\[0\]\.url: must be an http:// or https:// address"):
        Policy.from_text(changed, format="toml")


@pytest.mark.parametrize(
    "title",
    [
        "Hotel manager",
        "hotel  MANAGER",
        "Hotel\u200b manager",
        "\uff28otel manager",
        "Hotel man\u00adager",
    ],
    ids=["same", "case", "zwsp", "fullwidth", "soft-hyphen"],
)
def test_two_levels_cannot_have_titles_that_read_the_same(title: str) -> None:
    text = Path(CANDIDATE).read_text(encoding="utf-8")
    changed = text.replace('title = "Shift supervisor"', f"title = {json.dumps(title)}", 1)
    assert changed != text
    with pytest.raises(PolicyError, match=r"levels\[[12]\]\.title"):
        Policy.from_text(changed, format="toml")


def test_titles_that_differ_only_as_ss_and_sharp_s_read_the_same() -> None:
    """Case aside, as a reader tells them apart: "STRASSE" is "Straße" in capitals (casefold, not lower)."""
    text = Path(CANDIDATE).read_text(encoding="utf-8")
    changed = text.replace('title = "Shift supervisor"', 'title = "Stra\u00dfe desk"', 1)
    changed = changed.replace('title = "Hotel manager"', 'title = "STRASSE DESK"', 1)
    assert changed.count("DESK") == 1
    assert "Stra\u00dfe" in changed
    with pytest.raises(PolicyError, match=r"levels\[[12]\]\.title"):
        Policy.from_text(changed, format="toml")


def test_a_title_read_as_anothers_names_the_level_that_had_it_first() -> None:
    text = Path(CANDIDATE).read_text(encoding="utf-8")
    changed = text.replace('title = "Shift supervisor"', 'title = "Hotel manager"', 1)
    changed = changed.replace('title = "Front-desk agent"', 'title = "Hotel manager"', 1)
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(changed, format="toml")
    problems = [problem for problem in raised.value.problems if problem.location.endswith(".title")]
    assert [problem.location for problem in problems] == ["levels[1].title", "levels[2].title"]
    for problem in problems:  # each the first level's, not the one just before it
        assert "reads as the title of level 'front_desk'" in problem.message, problem.message
