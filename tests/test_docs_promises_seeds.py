"""The five source articles (``/work/shared/seeds``) against the library: the rules they state, in the presets,
the policy's defaults, the case path and the built-in English words (audit 180).

Each test quotes the article's sentence it checks.
"""

from __future__ import annotations

import datetime as dt

import pytest

from recovery_rules import (
    Case,
    Complaint,
    Customer,
    MemoryJournal,
    Money,
    Outcome,
    Policy,
    Remedy,
    Wording,
    forbidden_phrases,
    presets,
    say,
)

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)  # 1:00 in the afternoon in New York, 10:00 in Los Angeles


def _complaint(
    policy: Policy, amount: str, *, category: str, kind: str = "refund", tier: str | None = None
) -> Complaint:
    customer = Customer(id="10442", name="Ms. Okafor") if tier is None else Customer(id="10442", tier=tier)
    return Complaint(
        customer=customer,
        category=category,
        requested=Remedy(kind=kind, amount=Money(amount, policy.currency)),
        received_at=NOW,
    )


def _beyond(policy: Policy) -> str:
    """An amount above the front-line level's limit and within the next level's (an escalation, not a denial)."""
    front = policy.levels[0].limit
    assert isinstance(front, Money)
    return str(front.amount + 1)


# -- Seed 000: "empowering employees to spend up to $2000 to make any guest satisfied" ------------------------------


@pytest.mark.parametrize("tier", [None, "gold", "platinum"])
def test_every_ritz_staff_member_grants_2000_dollars_to_any_guest_whatever_their_tier(tier: str | None) -> None:
    """Seed 000: "And they back this up by empowering employees to spend up to $2000 to make any guest
    satisfied." Any guest: the front line's $2,000.00 holds for a guest of no tier and of any tier, on the spot,
    delivered by the employee; one cent more is the manager's."""
    ritz = presets.ritz_carlton()
    staff = ritz.levels[0].name
    exactly = ritz.decide(_complaint(ritz, "2000.00", category="noise", tier=tier), by=staff, now=NOW)
    assert (exactly.outcome, exactly.authorized_by, exactly.delivered_by) == (Outcome.APPROVED, staff, staff)
    over = ritz.decide(_complaint(ritz, "2000.01", category="noise", tier=tier), by=staff, now=NOW)
    assert over.outcome is Outcome.ESCALATED


# -- Seed 002: "offer three other options that they can authorize" ---------------------------------------------------


def _preset_categories() -> list[tuple[str, str]]:
    return [(name, category) for name in presets.NAMES for category in presets.load(name).categories]


@pytest.mark.parametrize(("name", "category"), _preset_categories())
def test_beyond_the_front_lines_authority_every_preset_offers_three_options_the_employee_can_authorize(
    name: str, category: str
) -> None:
    """Seed 002: "If the customer's demands are beyond the authority of the customer contact staff, train them
    to offer three other options that they can authorize that do not require management involvement." For every
    situation each shipped preset names: three options (three ways to help: of distinct kinds), each worth no
    more than the front-line employee may grant, so none needs a manager."""
    policy = presets.load(name)
    front = policy.levels[0]
    resolution = policy.decide(_complaint(policy, _beyond(policy), category=category), by=front.name, now=NOW)
    assert resolution.outcome is Outcome.ESCALATED
    offered = resolution.alternatives
    assert len(offered) >= 3
    assert len({alternative.kind for alternative in offered}) == len(offered)
    assert isinstance(front.limit, Money)
    assert all(alternative.value <= front.limit for alternative in offered)


# -- Seeds 000, 002, 003, 004: the words said for every outcome -----------------------------------------------------


def _said_for_every_outcome() -> list[tuple[str, str, str, str]]:
    cases = []
    for name in presets.NAMES:
        policy = presets.load(name)
        refused = policy.refused_remedies[0] if policy.refused_remedies else None
        for category in policy.categories:
            cases.append((name, category, "refund", "1.00"))  # approved
            cases.append((name, category, "refund", _beyond(policy)))  # escalated
            cases.append((name, category, "refund", "99999.00"))  # over the cap: denied
            if refused is not None:
                cases.append((name, category, refused, "1.00"))  # a remedy never granted: denied
    return cases


@pytest.mark.parametrize(("name", "category", "kind", "amount"), _said_for_every_outcome())
def test_what_the_employee_says_apologizes_first_gives_the_reason_and_never_says_no_nor_recites_policy(
    name: str, category: str, kind: str, amount: str
) -> None:
    """Seed 004: "teach your team to immediately respond to a concerned or upset customer with, 'I'm so sorry –
    let's figure this out!'" and "Going on the defense, acting neutral or reciting 'policy' creates an us versus
    them tone." Seed 002: "Forbid your employees to tell the customer 'No.'" Seed 003: "(Never say, 'That's our
    policy,' or 'That's the way it's always been done here.')" Seed 000: "have the customer walk away feeling
    that we have tried, and knowing the reason why."

    The built-in English words, filled for every outcome of every shipped preset: the apology first, no
    forbidden phrase, and for a denial or an escalation the reason ("because ...") and "what we CAN do"."""
    policy = presets.load(name)
    resolution = policy.decide(
        _complaint(policy, amount, category=category, kind=kind), by=policy.levels[0].name, now=NOW
    )
    text = say(resolution, policy)
    assert text.startswith("I'm so sorry - let's figure this out!")
    assert forbidden_phrases(text) == ()
    assert "policy" not in text.casefold()
    if resolution.outcome is not Outcome.APPROVED:
        assert "because" in text
        assert all(alternative.description in text for alternative in resolution.alternatives)


# -- the rules the library contradicts today -------------------------------------------------------------------------


def _case_beyond_authority() -> Case:
    ritz = presets.ritz_carlton()
    asked = _complaint(ritz, "3000.00", category="room_not_ready")
    case = Case.open(MemoryJournal(), ritz, asked, by="staff", clock=lambda: NOW)
    case.listen()
    case.apologize()
    case.ask_preferred_solution()
    case.decide()
    return case


def test_beyond_authority_the_case_words_offer_the_options_the_employee_can_authorize_with_the_callback() -> None:
    """Seed 002: "If the customer's demands are beyond the authority of the customer contact staff, train them
    to offer three other options that they can authorize that do not require management involvement. [...] Once
    they calm down and are given options to make them happy, they most often choose one."

    ``say`` of an escalated resolution says them ("In the meantime, here is what I can do for you right now"),
    and the built-in ``escalated`` message requires them ("the customer must hear what we CAN do right now");
    what a case's employee says at ``escalate`` must not drop them."""
    case = _case_beyond_authority()
    decision = case.decision
    assert decision is not None
    assert decision.outcome is Outcome.ESCALATED
    assert len(decision.alternatives) == 3
    wording = Wording(case.policy)
    said = wording.say_next(case)
    assert [words.step for words in said] == ["escalate"]
    assert "call you back by 3:00 this afternoon" in said[0].text
    for alternative in decision.alternatives:
        assert alternative.description in said[0].text
    case.escalate()
    for alternative in decision.alternatives:
        assert alternative.description in wording.say_history(case)[-1].text  # what was said, as recorded


def test_the_words_of_an_approval_ask_whether_the_customer_is_satisfied() -> None:
    """Seed 003: "If the suggested resolution is possible, agree with the customer and ask if he or she is
    satisfied." The case's ``deliver`` words ask it ("Does that resolve this to your satisfaction?"); ``say`` of
    the same approval, the words for a one-shot decision, goes straight from the good news to the thanks."""
    ritz = presets.ritz_carlton()
    approval = ritz.decide(_complaint(ritz, "250.00", category="noise"), by="staff", now=NOW)
    assert approval.outcome is Outcome.APPROVED
    good_news, thanks = say(approval, ritz).split("\n\n")[1:]
    assert good_news.endswith("Does that resolve this to your satisfaction?")
    assert thanks.startswith("Thank you")
