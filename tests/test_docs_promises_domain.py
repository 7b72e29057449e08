"""What the presets do against the five source articles (audit 122: the domain).

Seed 001: "Based on their needs, what are three options you can suggest they consider to meet those
needs". Seed 002: beyond their authority, staff "offer three other options that they can authorize".
Seed 003: a refused customer gets "a written report on the situation to a manager, who will personally
call them".
"""

from __future__ import annotations

import datetime as dt

import pytest

from recovery_rules import Case, Complaint, Customer, MemoryJournal, Outcome, Policy, Remedy

from ._helpers import NOW, complaint, usd

# -- the retail preset: a billing error's Plan B is about the bill, not about stock -----------------------------------

# What the retail catalog writes for an out-of-stock item ("check with the main office when the next
# delivery arrives", "a comparable item that is in stock today"): nothing a customer overcharged needs.
STOCK_OPTIONS = {"backorder-callback", "comparable-item", "other-branch", "competitor-referral", "free-delivery"}


@pytest.mark.parametrize(
    ("kind", "amount", "granted", "outcome"),
    [
        ("refund", "60.00", "0.00", Outcome.ESCALATED),  # beyond the associate: escalated, with a Plan B meanwhile
        ("refund", "60.00", "50.00", Outcome.ESCALATED),  # nothing left to grant: only free options
        ("cash_without_receipt", "5.00", "0.00", Outcome.DENIED),  # a refused remedy: denied, with a Plan B
    ],
    ids=["escalated", "nothing-left", "denied"],
)
def test_a_retail_billing_errors_plan_b_is_written_for_the_bill_not_for_an_out_of_stock_item(
    retail: Policy, kind: str, amount: str, granted: str, outcome: Outcome
) -> None:
    asked = complaint(amount, kind=kind, category="billing_error")
    resolution = retail.decide(asked, by="associate", granted=usd(granted), now=NOW)
    assert resolution.outcome is outcome
    offered = {alternative.id for alternative in resolution.alternatives}
    assert len(offered) == retail.min_alternatives
    assert not offered & STOCK_OPTIONS, offered
    assert all("billing_error" in alternative.applies_to for alternative in resolution.alternatives)


# -- the theme park: who makes the personal call after a written report --------------------------------------------


def test_the_theme_parks_written_report_goes_to_guest_relations_who_make_the_personal_call(
    theme_park: Policy,
) -> None:
    """The preset's comment once promised "the park manager's personal call"; the report goes to the policy's
    ``denials_delivered_by``, the guest relations lead, who calls within four hours of the offices' hours."""
    at = dt.datetime(2026, 7, 4, 20, 0, tzinfo=dt.UTC)  # 13:00 in Los Angeles, within the offices' hours
    rained_out = Complaint(
        customer=Customer(id="G-77"),
        category="weather_closure",
        requested=Remedy(kind="credit", amount=usd("400.00")),
        received_at=at,
    )
    journal = MemoryJournal()
    try:
        case = Case.open(journal, theme_park, rained_out, by="ticket_agent", employee="E-1", clock=lambda: at)
        case.listen()
        case.apologize()
        case.ask_preferred_solution()
        assert case.decide().outcome is Outcome.ESCALATED
        case.escalate()
        case.manager_denies(by="guest_relations", reason="over a dollar limit", employee="E-2")
        case.explain_denial(employee="E-2")
        case.decline_alternatives(employee="E-2")
        case.make_final_offer(employee="E-2")
        case.decline_final_offer(employee="E-2")
        report = case.write_report(employee="E-2")
        assert theme_park.denials_delivered_by == "guest_relations"
        assert report.actor == "guest_relations"
        assert case.callback_by == at + dt.timedelta(hours=4)
        call = case.manager_calls(employee="E-3")
        assert call.actor == "guest_relations"
        assert case.callback_by is None
    finally:
        journal.close()
