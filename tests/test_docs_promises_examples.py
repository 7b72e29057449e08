"""The examples folder as a reader uses it: what each program prints is what docs/examples.md and its own comments say.

tests/test_docs_and_examples.py runs every example and checks only that it prints something; here the output is
compared with the page's prose (docs/examples.md), the example's docstring and comments, and, for
``examples/cli/make_journal.py``, the page's own Output block. An example must also leave nothing behind it in the
folder it is run from, nor in examples/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import runpy
import sys
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import Complaint, Money, Outcome, Policy, Resolution, presets

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PAGE = ROOT / "docs" / "examples.md"


def _run(script: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """What ``python examples/<script> args...`` prints, run in-process as ``__main__``."""
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / script), *args])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    return capsys.readouterr().out


def _page() -> str:
    """docs/examples.md, its prose's lines joined: a sentence is found whatever its line breaks."""
    return " ".join(PAGE.read_text(encoding="utf-8").split())


def _files(folder: Path) -> set[str]:
    """The files under ``folder`` but those other tests may make there meanwhile (tests run in parallel): bytecode,
    and the -wal and -shm files SQLite keeps beside a journal while one is open (the committed one is read)."""
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if "__pycache__" not in path.parts and not path.name.endswith(("-wal", "-shm", "-journal"))
    }


RITZ = """\
2000.00 USD asked: approved ($2,000.00 asked is within Staff member's authority of $2,000.00)
2000.01 USD asked: escalated ($2,000.01 asked is above Staff member's authority of $2,000.00; \
Duty manager can approve it)
  manager calls back by 17:00 UTC; meanwhile:
  - Late check-out until 4 p.m. at no charge. ($0.00)
  - A room tonight at our sister hotel two blocks away, with our car to take you there. ($0.00)
  - An upgrade to a suite for the rest of the stay, when one is free. ($400.00)
"""


def test_the_ritz_carlton_example_approves_two_thousand_dollars_and_escalates_one_cent_more(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples.md: "$2,000.00 is approved on the spot, $2,000.01 escalates to the duty manager with a callback
    within two hours and three things the clerk can do meanwhile" (the example decides at 15:00 UTC)."""
    assert _run("hotel_ritz_carlton.py", monkeypatch, capsys) == RITZ
    assert presets.ritz_carlton().level("manager").title == "Duty manager"


SHOP = """\
denied, delivered by the store_manager: $1,530.00 in total ($1,500.00 already granted + $30.00 asked) \
is over the per-customer cap of $1,500.00
We can't do that, but we CAN do this:
- We call our other branch to see if they have it in stock and hold it for you.
    call: Downtown branch, +1 312 555 0199
    go: 200 State Street, ten minutes by the Red Line.
    web: https://example.com/stores/downtown
- We take your details, check with the main office when the next delivery arrives, and call you back by the end \
of the day.
- You can get it today at the hardware store across the river: it stocks the same brand.
    call: Riverside Hardware, +1 312 555 0123
    go: Cross the Wells Street bridge; the store is on the left.
    web: https://example.com/riverside-hardware
"""


def test_the_shop_example_answers_out_of_stock_with_the_other_branch_a_callback_and_a_competitor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples.md: "the answer is a Plan B: the other branch, a callback, or a competitor's address"."""
    assert _run("shop_out_of_stock.py", monkeypatch, capsys) == SHOP


def test_the_shop_page_says_which_alternatives_come_with_a_phone_number_directions_and_a_web_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _run("shop_out_of_stock.py", monkeypatch, capsys)
    options = re.split(r"^- ", out.split("we CAN do this:\n", 1)[1], flags=re.MULTILINE)[1:]
    every_one_has_all_three = all(
        all(f"    {label}: " in option for label in ("call", "go", "web")) for option in options
    )
    assert len(options) == 3
    assert every_one_has_all_three or "each with a phone number, directions and a web address" not in _page()


def test_the_shop_example_says_why_the_discount_is_denied() -> None:
    policy = presets.retail()
    script = " ".join((EXAMPLES / "shop_out_of_stock.py").read_text(encoding="utf-8").split())
    associate = policy.level("associate")
    assert associate.may_grant is not None
    assert "discount" in associate.may_grant  # what the example asks is the associate's to grant
    now = dt.datetime(2026, 11, 23, 17, 5, tzinfo=dt.UTC)
    complaint = Complaint.model_validate(
        {
            "customer": {"id": "C-5531"},
            "category": "out_of_stock",
            "requested": {"kind": "discount", "amount": "30.00 USD"},
            "received_at": now,
        }
    )
    resolution = policy.decide(complaint, by="associate", granted=Money("1500.00", "USD"), now=now)
    assert resolution.outcome is Outcome.DENIED
    assert [entry.rule for entry in resolution.trace if not entry.passed] == ["cap.hard"]
    assert "cannot grant a refund" not in _page()
    assert "what an associate may grant this month" not in script
    assert "cannot grant a refund" not in script


THEME_PARK = """\
approved: $129.00 asked is within Ticket agent's authority of $250.00 for a guest of the season pass tier
And for the rest of today:
- Seats at the next indoor show: the 4-D theatre runs every half hour, rain or shine. \
(Main Street, past the carousel, on the right.)
- The city aquarium is twenty minutes away and open until 8 p.m.; show the park ticket for 20% off. \
(Take the park shuttle to Harbor Station, then walk two blocks south.)
- Help pick a dry day for the return visit from the ten-day forecast, and reserve ride times for it.
"""


def test_the_theme_park_example_approves_the_rain_check_with_three_suggestions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples.md: "The ticket agent approves the rain check, and has three suggestions ready"."""
    assert _run("theme_park_rain.py", monkeypatch, capsys) == THEME_PARK


FULL_CASE = """\
Case 20261123-10442 opened by the front desk
decide: escalated: $6,000.00 asked is above Staff member's authority of $2,000.00; Duty manager can approve it
escalate: to manager, callback promised by 17:05
  a scheduler looking a day later would see 1 overdue callback(s)
explain_denial by manager: A full refund is beyond what we grant for a late room.
  - offered: Late check-out until 4 p.m. at no charge. ($0.00)
  - offered: A room tonight at our sister hotel two blocks away, with our car to take you there. ($0.00)
make_final_offer: An upgrade to a suite for the rest of the stay, when one is free. ($400.00)
write_report: to general_manager, who will call the guest personally
close: closed, outcome reported, granted $0.00

The paper trail of 20261123-10442:
   1. 15:00 opened                 by staff
   2. 15:01 listened               by staff
   3. 15:03 apologized             by staff
   4. 15:04 solution_asked         by staff
   5. 15:05 decided                by staff
   6. 15:06 escalated              by staff
   7. 16:30 manager_denied         by manager
   8. 16:35 denial_explained       by manager
   9. 16:37 alternatives_declined  by manager
  10. 16:39 final_offer_made       by manager
  11. 16:40 final_offer_declined   by manager
  12. 16:42 report_written         by manager
  13. 16:43 thanked                by staff
  14. 16:44 closed                 by staff

verify: ok=True, 14 events; save this chain head: 14:<hash>
rebuilt from its events alone, the case is the same: True
"""


@pytest.mark.slow
def test_the_full_case_example_follows_the_whole_path_and_its_journal_verifies(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """docs/examples.md: escalated with a callback (two hours), denied by the manager with two alternatives, both
    and the final offer declined, a report to the general manager, thanked; "Every step is in the journal, whose
    chain verifies". Run twice from an empty folder, it prints the same (but for the chain head, whose events carry
    keys of their own) and leaves nothing behind."""
    monkeypatch.chdir(tmp_path)
    before = _files(EXAMPLES)
    for _ in range(2):
        out = _run("hotel_full_case.py", monkeypatch, capsys)
        assert re.sub(r"chain head: 14:[0-9a-f]{64}\n", "chain head: 14:<hash>\n", out) == FULL_CASE
    assert list(tmp_path.iterdir()) == []
    assert _files(EXAMPLES) == before


def test_the_case_words_example_says_each_step_and_the_paper_trail_in_markdown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples.md: the restated answer, "the escalation with its callback time, the manager's reason and two
    alternatives, the final back-up offer accepted; then what was said at each recorded step, as Markdown"."""
    out = _run("case_words.py", monkeypatch, capsys)
    screen, trail = out.split("\nWhat was said in case 20261123-10442, step by step (Markdown):\n")
    assert "you would like the $3,000.00 refund. Is that correct?" in screen
    assert "propose this to our duty manager and call you back by 3:05 this afternoon" in screen  # 13:05 + 2 hours
    denial = screen.split("  manager says, to explain_denial:\n", 1)[1].split("\n\n", 4)
    assert "A full refund is more than we grant for a room that was late." in denial[0]
    assert re.findall(r"^    (\d)\. ", "\n".join(denial[:4]), flags=re.MULTILINE) == ["1", "2"]
    assert "  manager says, to accept_final_offer:\n" in screen
    assert "  staff says, to thank:\n" in screen
    assert screen.endswith("close recorded; now:\n  (closed: nothing more to say)\n")
    steps = re.findall(r"^\*\*(\d+)\. (\w+)\*\* \((\w+)\)$", trail, flags=re.MULTILINE)
    assert [step for _, step, _ in steps] == [
        "open",
        "listen",
        "apologize",
        "ask_preferred_solution",
        "decide",
        "escalate",
        "manager_denies",
        "explain_denial",
        "decline_alternatives",
        "make_final_offer",
        "accept_final_offer",
        "thank",
        "close",
    ]
    assert [int(version) for version, _, _ in steps] == list(range(1, 14))
    assert "\\$3,000.00" in trail  # Markdown: a dollar sign is escaped


def test_the_wording_example_says_every_outcome_in_english_and_spanish_and_the_denial_in_markdown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example's comments: a rain check approved; "more than the ticket agent's $150 a day: guest relations
    decides, with a callback in half an hour" (14:30 in Los Angeles); "over the park's $2,000 a day for one guest"."""
    out = _run("wording_locales.py", monkeypatch, capsys)
    headings = re.findall(r"^== (.*) ==$", out, flags=re.MULTILINE)
    assert headings == [
        "approved (en)",
        "approved (es)",
        "escalated (en)",
        "escalated (es)",
        "denied (en)",
        "denied (es)",
        "denied (en, Markdown)",
    ]
    sections = dict(zip(headings, re.split(r"^== .* ==$\n", out, flags=re.MULTILINE)[1:], strict=True))
    assert "I can give you the $129.00 rain check right now" in sections["approved (en)"]
    assert "puedo darle un pase para otro día de 129,00 USD ahora mismo" in sections["approved (es)"]
    assert "approval from our guest relations lead" in sections["escalated (en)"]
    assert "more than the $150.00 I can approve myself" in sections["escalated (en)"]
    assert "call you back by 3:00 this afternoon" in sections["escalated (en)"]
    assert "le llamo antes de las 15:00 de esta tarde" in sections["escalated (es)"]
    assert "more than the $2,000.00 we can offer any one guest" in sections["denied (en)"]
    assert "el total llegaría a 2.100,00 USD, más de los 2.000,00 USD" in sections["denied (es)"]
    assert "\\$600.00 refund" in sections["denied (en, Markdown)"]
    for heading in headings:  # the apology, with the name except in the Markdown, and the thanks, in its language
        thanks = "Su número de reclamación es" if "(es)" in heading else "Your complaint number is"
        assert f"{thanks} 20261123-P-2231." in sections[heading]
    assert "Ana García" not in sections["denied (en, Markdown)"]


def test_the_demo_decides_every_complaint_against_the_preset_and_level_its_file_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples.md: "`make demo` decides every complaint in `examples/complaints/` against the preset it
    names"; the README: "with the acting level and earlier grants"."""
    out = _run("demo.py", monkeypatch, capsys)
    files = sorted((EXAMPLES / "complaints").glob("*.json"))
    shown = re.findall(r"^== (\S+) \((.+), decided by (\w+)\)$", out, flags=re.MULTILINE)
    assert [name for name, _, _ in shown] == [path.name for path in files]
    for (_, policy_name, by), path in zip(shown, files, strict=True):
        example = json.loads(path.read_text(encoding="utf-8"))
        assert (policy_name, by) == (presets.load(example["policy"]).name, example["by"])
    outcomes = re.findall(r"^complaint \S+: (\w+)$", out, flags=re.MULTILINE)
    assert outcomes == ["APPROVED", "ESCALATED", "DENIED", "ESCALATED", "APPROVED"]
    assert "(total with earlier grants $10,300.00)" in out  # 9,800.00 granted before + 500.00 asked


def _decisions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every decision made from now on: when its complaint was received, and when it was decided."""
    decided: list[tuple[dt.datetime, dt.datetime]] = []
    real_decide = Policy.decide

    def recording_decide(self: Policy, complaint: Complaint, **kwargs: Any) -> Resolution:
        resolution = real_decide(self, complaint, **kwargs)
        decided.append((complaint.received_at, resolution.decided_at))
        return resolution

    monkeypatch.setattr(Policy, "decide", recording_decide)
    return decided


def test_the_demo_decides_no_complaint_before_it_was_received(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    decided = _decisions(monkeypatch)
    _run("demo.py", monkeypatch, capsys)
    assert len(decided) == len(list((EXAMPLES / "complaints").glob("*.json")))
    assert [(received, at) for received, at in decided if received > at] == []


def test_the_web_service_demonstration_decides_no_complaint_before_it_was_received(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fastapi", reason="the web service example needs the examples extra, which dev installs")
    decided = _decisions(monkeypatch)
    _run("web_service/app.py", monkeypatch, capsys)
    assert len(decided) == 2  # the third request is refused before a decision
    assert [(received, at) for received, at in decided if received > at] == []


@pytest.mark.slow
def test_make_journal_prints_what_the_examples_page_shows_and_writes_nothing_without_write(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """docs/examples.md: run as is, the program "builds it in a temporary folder and says whether
    `examples/cli/journal.sqlite3` is up to date", and prints the page's Output block."""
    page = PAGE.read_text(encoding="utf-8")
    section = page[page.index("## A season's cases for the report") :]
    shown = re.search(r'```text title="Output"\n(.*?)```', section, flags=re.DOTALL)
    assert shown is not None
    monkeypatch.chdir(tmp_path)
    before = _files(EXAMPLES)
    journal = EXAMPLES / "cli" / "journal.sqlite3"
    committed = journal.read_bytes()
    assert _run("cli/make_journal.py", monkeypatch, capsys) == shown[1]
    assert list(tmp_path.iterdir()) == []
    assert _files(EXAMPLES) == before
    assert journal.read_bytes() == committed


@pytest.mark.parametrize(
    "script", ["hotel_ritz_carlton.py", "shop_out_of_stock.py", "theme_park_rain.py", "case_words.py"]
)
def test_an_example_run_from_another_folder_leaves_nothing_behind(
    script: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _files(EXAMPLES)
    first = _run(script, monkeypatch, capsys)
    assert _run(script, monkeypatch, capsys) == first  # a second run prints the same
    assert list(tmp_path.iterdir()) == []
    assert _files(EXAMPLES) == before


@pytest.mark.parametrize(
    "script", ["hotel_full_case.py", "case_words.py", pytest.param("cli/make_journal.py", marks=pytest.mark.slow)]
)
def test_an_example_with_a_journal_runs_whatever_the_date_of_the_machine(
    script: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/examples.md: "Each runs on its own"; make_journal: "Fixed times and idempotency keys make the journal
    the same, to the last hash, every time". A journal's clock is the system clock unless it is given one, and no
    public API sets the system clock: the journal module's is replaced here, as a machine set to 2026-08-01 has it."""
    from recovery_rules._journal import _base  # noqa: PLC0415 - the system clock every journal reads by default

    monkeypatch.setattr(_base, "_system_clock", lambda: dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    assert _run(script, monkeypatch, capsys)


def test_the_web_service_says_which_input_its_422_may_quote() -> None:
    pytest.importorskip("fastapi", reason="the web service example needs the examples extra, which dev installs")
    from fastapi.testclient import TestClient  # noqa: PLC0415 - only with the examples extra

    service = runpy.run_path(str(EXAMPLES / "web_service" / "app.py"), run_name="web_service_echo")
    client = TestClient(service["create_app"](presets.ritz_carlton()))
    complaint = {
        "customer": {"id": "10442", "name": "Ada Lovelace"},
        "category": "room_not_ready",
        "requested": {"kind": "refund", "amount": "250.00 USD"},
        "received_at": "2026-11-23T09:30:00-05:00",
    }
    response = client.post("/complaints", json={"by": "night_porter", "complaint": complaint})
    assert response.status_code == 422
    assert "Ada Lovelace" not in response.text  # the promise that matters holds
    docstring = " ".join((service["__doc__"] or "").split())
    page = " ".join((ROOT / "docs" / "how-to" / "web-service.md").read_text(encoding="utf-8").split())
    quoted = "night_porter" in response.text
    assert not quoted or "Neither repeats what the caller sent" not in docstring
    assert not quoted or "they never repeat the input" not in page
