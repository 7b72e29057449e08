"""Plan B is what the employee offering it can authorize *now*, whenever it is offered.

The decision's Plan B is the deciding level's, as the ledger stood at ``decide``. A denial is explained later,
often by another level (``denials_delivered_by``), and the final back-up offer later still: each of those steps
chooses its alternatives again, in its own transaction, within what the offering level may still grant this
guest and of kinds it may grant (``may_grant``). So every alternative offered can be accepted when offered,
whatever other cases granted the guest meanwhile. Every scenario runs on every journal backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Alternative,
    AuthorityError,
    Case,
    CaseState,
    Complaint,
    Customer,
    Journal,
    Policy,
    PolicyError,
    Remedy,
    UnknownLevelError,
    Wording,
)

from ._helpers import priced_catalog, usd
from ._journal_backends import BACKENDS, Harness

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
GUEST = "10442"


def policy_data(**changes: Any) -> dict[str, Any]:
    """A $1,000 cap per guest in any 30 days; three paid alternatives written for the category, three free ones."""
    data: dict[str, Any] = {
        "name": "Plan B hotel",
        "currency": "USD",
        "window": "30d",
        "hard_cap": "1000.00",
        "denials_delivered_by": "supervisor",
        "categories": ["room_not_ready"],
        "levels": [
            {"name": "staff", "limit": "100.00"},
            {"name": "supervisor", "limit": "500.00", "callback_within": "1h"},
            {"name": "manager", "limit": "1000.00", "callback_within": "4h", "delegates": ["supervisor"]},
        ],
        "catalog": priced_catalog(),
    }
    data.update(changes)
    return data


POLICY = Policy.model_validate(policy_data())


@pytest.fixture(params=sorted(BACKENDS))
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    harness: Harness = BACKENDS[request.param](tmp_path)
    yield harness.journal()
    harness.close()


def clock() -> dt.datetime:
    return NOW


def complaint(amount: str, description: str) -> Complaint:
    return Complaint(
        customer=Customer(id=GUEST),
        category="room_not_ready",
        requested=Remedy(kind="refund", amount=usd(amount)),
        received_at=NOW,
        description=description,
    )


def escalated(journal: Journal, amount: str, description: str, policy: Policy = POLICY) -> Case:
    case = Case.open(journal, policy, complaint(amount, description), by="staff", clock=clock)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    assert not case.decide().approved
    case.escalate()
    return case


def denied(journal: Journal, policy: Policy = POLICY) -> Case:
    """The guest asks $800 back; staff escalates to the manager, who denies it."""
    case = escalated(journal, "800.00", "The room was not ready", policy)
    case.manager_denies(by="manager", reason="The stay itself went ahead as booked.")
    return case


def use_up_the_cap(journal: Journal) -> None:
    """Another case of the same guest: the manager grants $1,000, all the cap allows."""
    other = escalated(journal, "1000.00", "The spa was closed")
    other.manager_approves(by="manager")
    other.deliver()
    assert journal.granted(
        other.number, window=POLICY.window, timezone=POLICY.timezone, currency="USD", now=NOW
    ) == usd("1000.00")


def ident(alternative: Alternative | None) -> str | None:
    return None if alternative is None else alternative.id


def ids_of(alternatives: tuple[Alternative, ...]) -> list[str]:
    return [alternative.id for alternative in alternatives]


def ids(case: Case) -> list[str]:
    return [alternative.id for alternative in case.alternatives_offered]


def test_the_offering_level_chooses_within_its_own_authority(journal: Journal) -> None:
    """The manager decided; the supervisor delivering the denial offers what a supervisor can grant ($500)."""
    by_manager = denied(journal)
    by_manager.explain_denial(by="manager")
    assert ids(by_manager) == ["suite", "dinner"]  # the manager may grant the $600 suite
    by_supervisor = denied(journal)
    by_supervisor.explain_denial(by="supervisor")
    assert ids(by_supervisor) == ["dinner", "credit"]
    assert ident(by_supervisor.backup) == "callback"
    by_supervisor.accept_alternative("dinner")
    assert by_supervisor.granted == usd("200.00")


def test_the_alternatives_fit_the_remedy_the_customer_said_they_prefer(journal: Journal) -> None:
    """Plan B is ranked by closeness to the preferred remedy as restated, not the complaint's first request:
    asked $300 back but preferring $900, the guest is offered the $600 suite and the $200 dinner (the closest to
    $900), never the dinner and the $50 credit (the closest to $300)."""
    case = Case.open(journal, POLICY, complaint("300.00", "The room was not ready"), by="staff", clock=clock)
    case.listen()
    case.apologize()
    case.ask_preferred_solution(Remedy(kind="refund", amount=usd("900.00")))
    assert not case.decide().approved
    case.escalate()
    case.manager_denies(by="manager", reason="The stay itself went ahead as booked.")
    assert ids_of(case.offers(by="manager")) == ["suite", "dinner", "credit"]
    case.explain_denial(by="manager")
    assert ids(case) == ["suite", "dinner"]
    assert ident(case.backup) == "credit"


def test_the_offering_level_chooses_within_its_limit_for_the_customers_tier(journal: Journal) -> None:
    """The offering level's authority is its limit for the customer's tier: a supervisor who may grant a gold
    guest $700 offers that guest the $600 suite, which it never offers a standard guest ($500)."""
    levels = policy_data()["levels"]
    levels[1]["tier_limits"] = {"gold": "700.00"}
    policy = Policy.model_validate(policy_data(levels=levels))
    gold = complaint("800.00", "The room was not ready").model_copy(
        update={"customer": Customer(id=GUEST, tier="gold")}
    )
    case = Case.open(journal, policy, gold, by="staff", clock=clock)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    assert not case.decide().approved
    case.escalate()
    case.manager_denies(by="manager", reason="The stay itself went ahead as booked.")
    case.explain_denial(by="supervisor")
    assert ids(case) == ["suite", "dinner"]
    standard = denied(journal, policy)
    standard.explain_denial(by="supervisor")
    assert ids(standard) == ["dinner", "credit"]


def test_grants_made_since_the_decision_are_counted_when_the_denial_is_explained(journal: Journal) -> None:
    case = denied(journal)
    decided = case.decision
    assert decided is not None
    assert [alternative.id for alternative in decided.alternatives] == ["credit", "callback", "follow"]
    use_up_the_cap(journal)
    case.explain_denial()
    assert ids(case) == ["callback", "follow"]  # the $50 credit no longer fits: nothing is left under the cap
    assert ident(case.backup) == "tips"
    case.decline_alternatives()
    case.make_final_offer()
    case.accept_final_offer()
    assert case.state is CaseState.RESOLVED


def test_a_back_up_offer_that_no_longer_fits_is_replaced_by_one_that_does(journal: Journal) -> None:
    case = denied(journal)
    case.explain_denial(by="manager")
    assert ids(case) == ["suite", "dinner"]
    assert ident(case.backup) == "credit"
    use_up_the_cap(journal)
    case.decline_alternatives()
    event = case.make_final_offer()
    assert ident(case.final_offer) == "callback"  # the best-ranked kind not offered
    assert event.data["instead_of"] == "credit"
    case.accept_final_offer()
    assert case.granted == usd("0.00")


def test_the_report_names_the_final_offer_declined_when_it_replaced_the_back_up(journal: Journal) -> None:
    case = denied(journal)
    case.explain_denial(by="manager")
    assert ident(case.backup) == "credit"
    use_up_the_cap(journal)
    case.decline_alternatives()
    case.make_final_offer()
    assert ident(case.final_offer) == "callback"
    case.decline_final_offer()
    case.write_report()
    assert case.report is not None
    assert case.report["final_offer_declined"] == "callback"  # the offer made, not the back-up it replaced
    assert case.report["alternatives_declined"] == ["suite", "dinner"]


def test_a_back_up_offer_that_still_fits_is_made_as_kept(journal: Journal) -> None:
    case = denied(journal)
    case.explain_denial(by="manager")
    case.decline_alternatives()
    event = case.make_final_offer()
    assert ident(case.final_offer) == "credit"
    assert "instead_of" not in event.data
    case.accept_final_offer()
    assert case.granted == usd("50.00")


def test_no_back_up_offer_left_to_make_is_refused_and_nothing_is_written(journal: Journal) -> None:
    """Only a policy read with other alternatives than the case was offered under can leave none: refused."""
    case = denied(journal)
    case.explain_denial(by="manager")
    case.decline_alternatives()
    use_up_the_cap(journal)
    free = [  # two free options, of the very kinds the case was offered
        {"id": "coffee", "kind": "comp", "description": "Coffee", "value": "0", "applies_to": ["*"]},
        {"id": "view", "kind": "upgrade", "description": "A room with a view", "value": "0", "applies_to": ["*"]},
    ]
    paid = [entry for entry in policy_data()["catalog"] if entry["id"] in {"suite", "dinner", "credit"}]
    fewer = policy_data(min_alternatives=2, catalog=paid + free)
    reread = Case.load(journal, Policy.model_validate(fewer), case.number, clock=clock)
    version = reread.version
    with pytest.raises(AuthorityError, match="no alternative of a kind not offered yet fits"):
        reread.make_final_offer()
    assert reread.version == version == journal.version(case.number)


def test_a_delegate_offers_with_the_authority_of_the_level_it_acts_for(journal: Journal) -> None:
    case = denied(journal)
    case.explain_denial(by="supervisor", acting_for="manager")
    assert ids(case) == ["suite", "dinner"]  # the manager's Plan B: the $600 suite is within a manager's $1,000
    case.accept_alternative("suite")  # granted on the manager's authority, as it was offered
    assert case.granted == usd("600.00")


def test_kinds_the_offering_level_may_not_grant_are_never_offered(journal: Journal) -> None:
    levels = policy_data()["levels"]
    levels[1]["may_grant"] = ["refund", "comp"]  # a supervisor gives no credits and no upgrades
    policy = Policy.model_validate(policy_data(levels=levels))
    case = denied(journal, policy)
    case.explain_denial(by="supervisor")
    assert ids(case) == ["dinner", "callback"]
    assert ident(case.backup) == "follow"


def test_an_offered_kind_the_level_may_no_longer_grant_is_refused_when_accepted(journal: Journal) -> None:
    case = denied(journal)
    case.explain_denial(by="supervisor")
    assert ids(case) == ["dinner", "credit"]
    levels = policy_data()["levels"]
    levels[1]["may_grant"] = ["refund", "comp"]
    reread = Case.load(journal, Policy.model_validate(policy_data(levels=levels)), case.number, clock=clock)
    version = reread.version
    with pytest.raises(AuthorityError, match="it is a 'credit' and supervisor may not grant that kind of remedy"):
        reread.accept_alternative("credit")
    assert journal.version(case.number) == version
    reread.accept_alternative("dinner")
    assert reread.granted == usd("200.00")


def test_the_decisions_plan_b_leaves_out_kinds_the_deciding_level_may_not_grant() -> None:
    levels = policy_data()["levels"]
    levels[0]["may_grant"] = ["refund"]
    policy = Policy.model_validate(policy_data(levels=levels))
    resolution = policy.decide(
        complaint("80.00", "Cold room").model_copy(update={"received_at": NOW}), by="staff", now=NOW
    )
    assert resolution.approved
    resolution = policy.decide(complaint("300.00", "No room"), by="staff", now=NOW)
    assert [alternative.id for alternative in resolution.alternatives] == ["callback", "follow", "tips"]
    plain = POLICY.decide(complaint("300.00", "No room"), by="staff", now=NOW)
    assert [alternative.id for alternative in plain.alternatives] == ["credit", "callback", "follow"]


def test_the_extra_mile_suggests_only_kinds_the_approving_level_may_grant() -> None:
    """An approval's extra-mile suggestions are what the approving level could give on top: a supervisor who
    gives no credits is never told to suggest the $50 credit, which one who may is."""
    catalog = priced_catalog()
    for entry in catalog:
        if entry["id"] == "credit":
            entry["extra_mile"] = True
    plain = Policy.model_validate(policy_data(catalog=catalog))
    levels = policy_data()["levels"]
    levels[1]["may_grant"] = ["refund", "comp"]  # a supervisor gives no credits and no upgrades
    barred = Policy.model_validate(policy_data(catalog=catalog, levels=levels))
    asked = complaint("300.00", "No room")
    suggested = plain.decide(asked, by="supervisor", now=NOW)
    assert suggested.approved
    assert [alternative.id for alternative in suggested.suggestions] == ["credit"]
    refused = barred.decide(asked, by="supervisor", now=NOW)
    assert refused.approved
    assert [alternative.id for alternative in refused.suggestions] == []


def test_a_level_left_without_enough_alternatives_it_may_grant_does_not_load() -> None:
    levels = policy_data()["levels"]
    levels[1]["may_grant"] = ["refund"]
    catalog = [entry for entry in policy_data()["catalog"] if entry["id"] != "tips"]
    catalog.append({"id": "voucher", "kind": "voucher", "description": "A voucher", "value": "0", "applies_to": ["*"]})
    with pytest.raises(PolicyError) as raised:
        Policy.model_validate(policy_data(levels=levels, catalog=catalog))
    message = str(raised.value)
    assert "which is what supervisor must be able to offer with nothing left to grant" in message
    assert "alternatives of kinds it may grant (not" in message
    assert Policy.model_validate(policy_data(catalog=catalog)).levels[1].may_grant is None


def test_offers_says_beforehand_what_each_offering_step_records(journal: Journal) -> None:
    case = denied(journal)
    assert ids_of(case.offers(by="supervisor")) == ["dinner", "credit", "callback"]
    assert ids_of(case.offers()) == ["suite", "dinner", "credit"]  # by default, the manager who denied it
    case.explain_denial(by="supervisor")
    assert ids(case) == ["dinner", "credit"]
    assert case.offers() == ()  # the customer chooses next: nothing to offer
    case.decline_alternatives()
    assert ids_of(case.offers()) == ["callback"]  # the back-up kept
    use_up_the_cap(journal)
    assert ids_of(case.offers()) == ["callback"]  # free: it still fits
    case.make_final_offer()
    assert ident(case.final_offer) == "callback"


def test_the_final_offer_named_beforehand_is_the_replacement_when_the_back_up_no_longer_fits(
    journal: Journal,
) -> None:
    case = denied(journal)
    case.explain_denial(by="manager")
    case.decline_alternatives()
    assert ids_of(case.offers()) == ["credit"]
    use_up_the_cap(journal)  # by another case: this object's journal is read, not its memory
    assert ids_of(case.offers()) == ["callback"]
    words = Wording(POLICY).say_next(case)
    assert [item.step for item in words] == ["make_final_offer"]
    assert "We call you" in words[0].text
    assert "$50 credit" not in words[0].text


def test_the_words_before_a_denial_is_explained_name_what_will_be_offered(journal: Journal) -> None:
    case = denied(journal)
    words = {item.step: item.text for item in Wording(POLICY).say_next(case)}
    assert "A suite" in words["explain_denial"]
    assert "Dinner" in words["explain_denial"]
    assert "$50 credit" not in words["explain_denial"]  # the deciding staff member's Plan B had it first
    use_up_the_cap(journal)
    words = {item.step: item.text for item in Wording(POLICY).say_next(case)}
    assert "Dinner" not in words["explain_denial"]
    assert "We call you" in words["explain_denial"]
    case.explain_denial()
    assert ids(case) == ["callback", "follow"]


def test_an_out_of_date_case_object_explains_with_the_manager_who_denied_it(journal: Journal) -> None:
    """The default level is the denier's, read from the journal even when this object has not seen the denial."""
    case = escalated(journal, "800.00", "The room was not ready")
    other = Case.load(journal, POLICY, case.number, clock=clock)
    other.manager_denies(by="manager", reason="The stay itself went ahead as booked.")
    assert case.state is CaseState.ESCALATED  # this object has not seen it
    event = case.explain_denial(key="explain-1")
    assert event.actor == "manager"
    assert ids(case) == ["suite", "dinner"]  # the manager's Plan B, not the supervisor's
    stale = Case.load(journal, POLICY, case.number, clock=clock)
    assert stale.explain_denial(key="explain-1").seq == event.seq  # an honest retry is the same request


def test_a_grant_offered_by_a_delegate_records_on_whose_authority(journal: Journal) -> None:
    plain = denied(journal)
    plain.explain_denial(by="supervisor")
    assert "acting_for" not in plain.accept_alternative("credit").data
    case = denied(journal)
    case.explain_denial(by="supervisor", acting_for="manager")
    event = case.accept_alternative("suite")  # $600: beyond a supervisor's $500, within the manager's
    assert (event.actor, event.data["acting_for"]) == ("supervisor", "manager")


def test_no_final_offer_from_an_unlimited_level_under_a_narrower_policy_is_an_authority_error(
    journal: Journal,
) -> None:
    unlimited = policy_data(hard_cap=None)
    unlimited["levels"][2]["limit"] = "unlimited"
    policy = Policy.model_validate(unlimited)
    case = denied(journal, policy)
    case.explain_denial(by="manager")
    assert ident(case.backup) == "credit"
    case.decline_alternatives()
    narrower = policy_data(hard_cap=None, min_alternatives=2)
    narrower["levels"][2].update(limit="unlimited", may_grant=[kind for kind in policy.vocabulary if kind != "credit"])
    narrower["catalog"] = [entry for entry in narrower["catalog"] if entry["value"] != "0"] + [
        {"id": "late", "kind": "upgrade", "description": "Late check-out", "value": "0", "applies_to": ["*"]},
        {"id": "drink", "kind": "comp", "description": "A drink", "value": "0", "applies_to": ["*"]},
    ]
    reread = Case.load(journal, Policy.model_validate(narrower), case.number, clock=clock)
    assert reread.offers() == ()
    with pytest.raises(AuthorityError, match="'credit' is a 'credit', which manager may not grant") as refused:
        reread.make_final_offer()
    assert f"revision {policy.revision[:12]}" in str(refused.value)
    assert journal.version(case.number) == reread.version


def test_offers_refuses_a_level_the_step_refuses_and_names_only_what_the_step_records(journal: Journal) -> None:
    case = denied(journal)
    with pytest.raises(AuthorityError, match="denials are delivered by supervisor or above, never by staff"):
        case.offers(by="staff")
    with pytest.raises(AuthorityError):
        Wording(POLICY).say_next(case, by="staff")
    extra = [
        {"id": f"free-{kind}", "kind": kind, "description": kind, "value": "0", "applies_to": ["*"]}
        for kind in ("concierge", "late_checkout")
    ]
    more = Policy.model_validate(policy_data(min_alternatives=5, catalog=policy_data()["catalog"] + extra))
    many = denied(journal, more)
    coming = many.offers(by="manager")
    assert ids_of(coming) == ["suite", "dinner", "credit"]  # two to offer, one kept back: never the rest
    many.explain_denial(by="manager")
    assert (many.alternatives_offered, many.backup) == (coming[:2], coming[2])


def test_a_refused_offers_names_the_call_made_not_the_step(journal: Journal) -> None:
    """An audit: ``offers(by="staff")`` was refused as "explain_denial by staff is refused: ...", as if the caller
    had taken the step; it names the call, and the step it describes, with the same attributes as the step's."""
    case = denied(journal)
    with pytest.raises(AuthorityError) as refused:
        case.offers(by="staff")
    assert str(refused.value) == (
        'offers(by="staff"): the next step that offers alternatives, explain_denial, is the supervisor\'s: '
        "denials are delivered by supervisor or above, never by staff; the steps allowed next are: explain_denial"
    )
    assert (refused.value.step, refused.value.level, refused.value.needed) == ("explain_denial", "staff", "supervisor")
    with pytest.raises(AuthorityError) as refused:
        case.offers(by="staff", acting_for="manager")
    assert str(refused.value).startswith(
        'offers(by="staff", acting_for="manager"): the next step that offers alternatives, explain_denial, is the '
        "manager's: staff may not act for manager: the policy names its delegates (supervisor); "
    )
    with pytest.raises(AuthorityError, match=r"^explain_denial by staff is refused: denials are delivered"):
        case.explain_denial(by="staff")  # the step itself is named as before
    assert journal.version(case.number) == case.version


def test_offers_reads_the_case_again_first(journal: Journal) -> None:
    case = denied(journal)
    other = Case.load(journal, POLICY, case.number, clock=clock)
    other.explain_denial(by="manager")
    assert case.offers() == ()  # the customer chooses next: this object learns it, as the step would
    assert case.state is CaseState.ALTERNATIVES_OFFERED


def test_the_words_name_the_plan_b_of_the_level_said_to_explain(journal: Journal) -> None:
    case = denied(journal)
    by_manager = {item.step: item.text for item in Wording(POLICY).say_next(case)}["explain_denial"]
    by_supervisor = {item.step: item.text for item in Wording(POLICY).say_next(case, by="supervisor")}
    assert "A suite" in by_manager
    assert "A suite" not in by_supervisor["explain_denial"]
    assert "$50 credit" in by_supervisor["explain_denial"]
    with pytest.raises(UnknownLevelError) as unknown:
        Wording(POLICY).say_next(case, by="nobody")
    assert unknown.value.problems[0].location == "by"
