"""Promises about ``Policy.revision`` and a policy that changes under a running case, at the edges the pages'
examples do not show: the reference's revision parts, "Write a policy file", the decision service's reload,
and the ``Policy.revision`` docstring ("The same policy has the same revision whatever the file format, key order
or spelling of its values ...; any change to what it decides or says changes it")."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path
from typing import Any, Literal

import pytest

from recovery_rules import Case, MemoryJournal, Policy, PolicyError, UnknownLevelError, Wording, presets

from ._helpers import NOW, complaint, policy_data

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
id = "callback"
kind = "callback"
description = "Call back."
value = "0"
applies_to = ["*"]

[[catalog]]
id = "note"
kind = "note"
description = "A note from the manager."
value = "0"
applies_to = ["*"]
"""


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"2h"', '"PT2H"'),
        ('"2h"', '"7200s"'),
        ('"2h"', '"1h60m"'),
        ('window = "30d"', 'window = "P30D"'),
        ('window = "30d"', 'window = "720h"'),
        ('hard_cap = "500"', 'hard_cap = "500.00 USD"'),
        ('hard_cap = "500"', 'hard_cap = { amount = "500.00", currency = "USD" }'),
        ('value = "0"', 'value = "0.00"'),
        ("\n[[levels]]", "\n# the ladder, lowest first\n[[levels]]  # the clerk"),
        ('window = "30d"', 'window = "30d"\ntimezone = "UTC"\ncaps = []\nrefused_remedies = []\nwording = {}'),
        ('limit = "50"', 'limit = "50"\ntier_limits = {}\ndelegates = []'),
    ],
    ids=[
        "iso-duration",
        "seconds",
        "minutes-over-an-hour",
        "iso-window",
        "window-in-hours",
        "amount-with-currency",
        "amount-as-table",
        "zero-with-places",
        "comments",
        "empty-defaults-at-the-top",
        "empty-defaults-of-a-level",
    ],
)
def test_another_spelling_of_the_same_value_keeps_the_revision(old: str, new: str) -> None:
    """The reference's spellings of one duration, window or amount ("2h" and ISO 8601 "PT2H"; "2000.00 USD" and
    the table form), comments, and empty settings written out are one policy, with one revision."""
    respelled = SMALL.replace(old, new, 1)
    assert respelled != SMALL
    assert Policy.from_text(respelled).revision == Policy.from_text(SMALL).revision


def test_a_locale_tag_written_in_another_case_keeps_the_revision() -> None:
    """``Policy.revision``: the same policy has the same revision whatever the "spelling of its values". A locale's
    tag is matched without regard to case: ``Wording(policy, "en-GB")`` says the words of ``[wording.en-gb]``, and a
    policy with both tables is refused ("is the same locale as 'en-GB'"). So the tag's case is a spelling."""
    words = {"messages": {"apology": "We are terribly sorry."}}
    upper = Policy.model_validate(policy_data(wording={"en-GB": words}))
    lower = Policy.model_validate(policy_data(wording={"en-gb": words}))
    with pytest.raises(PolicyError, match="the same locale"):
        Policy.model_validate(policy_data(wording={"en-GB": words, "en-gb": words}))
    decided = upper.decide(complaint("50.00"), by="staff", now=NOW)
    said = Wording(upper, "en-GB").say(decided)
    assert said.startswith("We are terribly sorry.")
    assert Wording(lower, "en-GB").say(decided.model_copy(update={"policy_revision": lower.revision})) == said
    assert lower.revision == upper.revision


def test_a_remedy_kind_listed_twice_is_refused_or_is_the_same_policy() -> None:
    """``Policy.revision``: one policy, one revision, however its values are written. ``refused_remedies``,
    ``categories``, ``may_grant`` and ``delegates`` are sets (a word written twice is the same set); a closed date,
    a catalog id or a locale written twice is refused. ``remedy_kinds`` with a kind twice should be one or the
    other, never a policy of its own that decides exactly like the list written once."""
    once = Policy.model_validate(policy_data(remedy_kinds=["refund", "credit", "voucher"]))
    try:
        twice = Policy.model_validate(policy_data(remedy_kinds=["refund", "refund", "credit", "voucher"]))
    except PolicyError as error:
        refused: PolicyError | None = error
    else:
        refused = None
    if refused is not None:
        assert all(problem.location.startswith("remedy_kinds") for problem in refused.problems)
        return
    assert twice.vocabulary == once.vocabulary
    assert twice.revision == once.revision


def _escalated_to_owner() -> tuple[MemoryJournal, Case]:
    """A case of ``policy_data()`` escalated by staff, for $3,000.00, to the owner (the only level above $2,000)."""
    journal = MemoryJournal()
    case = Case.open(journal, Policy.model_validate(policy_data()), complaint("3000.00"), by="staff", now=NOW)
    case.listen(now=NOW)
    case.apologize(now=NOW)
    case.ask_preferred_solution(now=NOW)
    case.decide(now=NOW)
    case.escalate(now=NOW)
    assert case.escalated_to == "owner"
    return journal, case


def _without_the_owner() -> Policy:
    """``policy_data()`` revised: the owner level removed, the manager's limit raised to the cap."""
    levels: list[dict[str, Any]] = copy.deepcopy(policy_data()["levels"][:3])
    levels[2]["limit"] = "5000.00"
    return Policy.model_validate(policy_data(levels=levels))


def test_a_step_by_a_level_the_revised_policy_removed_is_refused_and_records_nothing() -> None:
    """A case opened under one revision and carried on under one that removed a level: a step ``by`` the removed
    level is an ``UnknownLevelError`` naming the levels there are, never a ``KeyError``, and nothing is recorded."""
    journal, case = _escalated_to_owner()
    try:
        later = Case.load(journal, _without_the_owner(), case.number)
        recorded = len(journal.events(case.number))
        with pytest.raises(UnknownLevelError, match="no level named 'owner'; use one of: staff, supervisor, manager"):
            later.manager_approves(by="owner")
        with pytest.raises(UnknownLevelError, match="no level named 'owner'"):
            later.manager_denies(by="manager", reason="A refund this size is more than we can give; here are options.")
        assert len(journal.events(case.number)) == recorded
    finally:
        journal.close()


def test_a_step_under_the_revised_policy_records_its_revision_beside_the_earlier_ones() -> None:
    """run-a-case: every event records "the revision of the policy the case follows". A case escalated under one
    revision and approved under one that removed the level it was escalated to: the approval is the revised
    policy's decision and names its revision; the earlier steps keep theirs."""
    journal, case = _escalated_to_owner()
    try:
        revised = _without_the_owner()
        before = case.policy.revision
        assert revised.revision != before
        approval = Case.load(journal, revised, case.number).manager_approves(by="manager")
        assert approval.policy_revision == revised.revision
        assert [event.policy_revision for event in journal.events(case.number)] == [before] * 6 + [revised.revision]
    finally:
        journal.close()


_POLICY_FIELD = re.compile(r'<textarea id="policy" name="policy"[^>]*>(.*?)</textarea>', re.DOTALL)
_FORMAT = re.compile(r"<option selected>(\w+)</option>")
_FORMATS: dict[str, Literal["toml", "json", "yaml"]] = {"toml": "toml", "json": "json", "yaml": "yaml"}


@pytest.mark.slow
def test_the_console_policy_page_holds_the_served_policy_after_a_refused_reload(tmp_path: Path) -> None:
    """The console: "The policy page holds the served policy's file"; the decision service: a policy that does not
    load "is refused ... and the old one keeps serving". After a refused reload the page should hold the policy
    being served (the revision it names), not the refused edit of its file."""
    testclient = pytest.importorskip("fastapi.testclient", reason="the console needs the server extra")
    from ._server import serve  # noqa: PLC0415 - the server extra, only for this test

    path = tmp_path / "policy.toml"
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    served = serve(policy_source=str(path))
    service = served.app.state.service
    browser = testclient.TestClient(served.app, follow_redirects=False)
    assert browser.post("/console/sign-in", data={"token": served.tokens["manager"]}).status_code == 303
    path.write_text(text.replace('currency = "USD"', 'currency = "usd"'), encoding="utf-8")
    assert service.reload().result == "refused"
    page = browser.get("/console/policy").text
    shown, form = _POLICY_FIELD.search(page), _FORMAT.search(page)
    assert shown is not None
    assert form is not None
    held = Policy.from_text(html.unescape(shown.group(1)), format=_FORMATS[form.group(1)])
    assert held.revision == service.policy.revision == presets.ritz_carlton().revision


def _with_blank(field: str) -> dict[str, Any]:
    """``policy_data()`` with ``field`` written as empty text: a level's ``title``, an alternative's ``contact`` or
    ``directions``."""
    if field == "title":
        levels = copy.deepcopy(policy_data()["levels"])
        levels[0]["title"] = ""
        return policy_data(levels=levels)
    catalog = copy.deepcopy(policy_data()["catalog"])
    catalog[0][field] = ""
    return policy_data(catalog=catalog)


@pytest.mark.parametrize(
    "field",
    ["title", "contact", "directions"],
)
def test_an_empty_optional_text_is_the_same_policy_as_one_left_out(field: str) -> None:
    """``Policy.revision``: one revision "whether settings at their defaults are written out or left out"; "any
    change to what it decides or says changes it", and an empty level title or contact changes neither: the level
    is still called by its name with spaces, and an empty contact or directions is never said."""
    left_out, blank = Policy.model_validate(policy_data()), Policy.model_validate(_with_blank(field))
    assert [level.display_name for level in blank.levels] == [level.display_name for level in left_out.levels]
    request = complaint("9000.00")  # denied over the cap: its alternatives are said, the free callback first
    decided = left_out.decide(request, by="staff", now=NOW)
    assert decided.alternatives[0].id == "callback"
    again = blank.decide(request, by="staff", now=NOW)
    assert Wording(blank).say(again) == Wording(left_out).say(decided)
    assert blank.revision == left_out.revision
