"""The catalog index: the Plan B it chooses is the one the rule defines, and its size grows with the catalog only."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from recovery_rules import Alternative, Money
from recovery_rules._policy import _catalog
from recovery_rules._policy._catalog import CatalogIndex

from ._helpers import examples

CATEGORIES = ("room_not_ready", "noise", "billing")
REMEDY_KINDS = ("refund", "credit")
KINDS = ("callback", "voucher", "upgrade", "other_branch", "dinner")


def alternative(position: int, kind: str, value: str, applies_to: tuple[str, ...]) -> Alternative:
    return Alternative(
        id=f"a{position}",
        kind=kind,
        description="An alternative.",
        value=Money(value, "USD"),
        applies_to=applies_to,
    )


catalogs = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 40).map(lambda cents: f"{cents * 5}.00"),
        st.one_of(
            st.just(("*",)),
            st.lists(st.sampled_from(CATEGORIES + REMEDY_KINDS), min_size=1, max_size=3, unique=True).map(tuple),
            # written for some names and offered for everything too
            st.lists(st.sampled_from(CATEGORIES + REMEDY_KINDS), min_size=1, max_size=2, unique=True).map(
                lambda names: ("*", *names)
            ),
        ),
    ),
    max_size=25,
).map(lambda items: [alternative(i, *item) for i, item in enumerate(items)])


def rule(
    catalog: list[Alternative], category: str | None, kind: str, asked: Decimal, *, budget: Decimal | None, count: int
) -> tuple[Alternative, ...]:
    """The rule, the slow way: every relevant alternative within budget; written for the category first, then for
    the remedy kind, then generic ("*"); within each, free before paid; then closest to ``asked`` (then cheaper,
    then first listed); the first of each kind, ``count`` of them."""
    relevant = []
    for position, item in enumerate(catalog):
        if budget is not None and item.value.amount > budget:
            continue
        if category in CATEGORIES and category in item.applies_to:
            rank = 0
        elif kind in item.applies_to:
            rank = 1
        elif "*" in item.applies_to:
            rank = 2
        else:
            continue
        value = item.value.amount
        relevant.append((rank, value != 0, abs(asked - value), value, position, item))
    chosen: list[Alternative] = []
    for *_, item in sorted(relevant, key=lambda entry: entry[:5]):
        if item.kind not in {picked.kind for picked in chosen}:
            chosen.append(item)
    return tuple(chosen[:count])


@settings(max_examples=examples(300), deadline=None)
@given(
    catalog=catalogs,
    category=st.sampled_from([*CATEGORIES, "unheard_of", None]),
    kind=st.sampled_from(REMEDY_KINDS),
    asked=st.integers(0, 250).map(Decimal),
    budget=st.one_of(st.none(), st.integers(0, 250).map(Decimal)),
    count=st.integers(1, 5),
    small=st.sampled_from([0, 8, 32]),
)
def test_the_index_chooses_what_the_rule_says(  # noqa: PLR0917 - hypothesis passes what it draws by keyword
    catalog: list[Alternative],
    category: str | None,
    kind: str,
    asked: Decimal,
    budget: Decimal | None,
    count: int,
    small: int,
) -> None:
    # Both ways of choosing: a shelf laid out as one list (small ones) and the search kind by kind.
    with mock.patch.object(_catalog, "SMALL", small):
        shelf = CatalogIndex(catalog, CATEGORIES).shelf(category, kind)
    if small == 0:
        assert shelf.walk is None or not shelf.walk.segments
    assert shelf.select(asked, budget, count) == rule(catalog, category, kind, asked, budget=budget, count=count)
    within = {item.kind for item in rule(catalog, category, kind, Decimal(0), budget=budget, count=len(KINDS))}
    assert shelf.kinds_within(budget) == within
    assert bool(shelf) == bool(rule(catalog, category, kind, Decimal(0), budget=None, count=1))


def test_the_index_holds_each_alternative_once_per_name_it_applies_to() -> None:
    """A thousand categories and five hundred general alternatives: 500 entries, not 500,000 (no copy per category)."""
    categories = [f"category_{i}" for i in range(1000)]
    general = [alternative(i, KINDS[i % len(KINDS)], f"{i % 50}.00", ("*",)) for i in range(500)]
    own = [alternative(500 + i, "dinner", "20.00", (categories[i],)) for i in range(1000)]
    index = CatalogIndex([*general, *own], categories)
    stored = [len(row.values) for group in (index._everything, *index._named.values()) for row in group.values()]
    assert sum(stored) == 1500
    shelf = index.shelf("category_7", "refund")
    # the category's own dinner first, then the generic ones: a free callback, then the closest voucher
    assert [item.id for item in shelf.select(Decimal(20), None, 3)] == ["a507", "a0", "a21"]


def test_a_small_catalog_is_laid_out_and_a_large_one_is_not() -> None:
    small = [alternative(i, KINDS[i % len(KINDS)], f"{i}.00", ("*",)) for i in range(10)]
    assert CatalogIndex(small, CATEGORIES).shelf("noise", "refund").walk is not None
    large = [alternative(i, KINDS[i % len(KINDS)], f"{i}.00", ("*",)) for i in range(_catalog.SMALL + 1)]
    assert CatalogIndex(large, CATEGORIES).shelf("noise", "refund").walk is None


def test_a_name_that_is_both_a_category_and_a_remedy_kind_keeps_both_groups() -> None:
    catalog = [
        alternative(0, "callback", "5.00", ("refund",)),
        alternative(1, "voucher", "10.00", ("refund",)),
        alternative(2, "dinner", "20.00", ("noise",)),
    ]
    index = CatalogIndex(catalog, ("noise", "refund"))
    assert [item.id for item in index.shelf("noise", "refund").select(Decimal(0), None, 5)] == ["a2", "a0", "a1"]
    assert [item.id for item in index.shelf("refund", "credit").select(Decimal(0), None, 5)] == ["a0", "a1"]


def test_a_large_shelf_looks_at_a_later_group_only_for_what_the_earlier_ones_left() -> None:
    """The category's own alternatives fill the Plan B: the generic ones (1,000 of them, every kind) are not
    searched at all, so a decision costs the same however large the general catalog grows."""
    general = [alternative(i, KINDS[i % len(KINDS)], f"{i % 200}.00", ("*",)) for i in range(1000)]
    own = [alternative(1000 + i, kind, "30.00", ("noise",)) for i, kind in enumerate(KINDS[:3])]
    shelf = CatalogIndex([*general, *own], CATEGORIES).shelf("noise", "refund")
    assert shelf.walk is None
    asked = []
    real_best = _catalog._Row.best

    def best(row: _catalog._Row, rank: int, amount: Decimal, budget: Decimal | None) -> object:
        asked.append(rank)
        return real_best(row, rank, amount, budget)

    with mock.patch.object(_catalog._Row, "best", best):
        chosen = shelf.select(Decimal(25), None, 3)
    assert [item.id for item in chosen] == ["a1000", "a1001", "a1002"]
    assert asked == [_catalog.FOR_CATEGORY] * 3
    # one kind short: the generic group fills the last place, with the closest of a kind not chosen yet (dinner)
    catalog = [*general, *own]
    four = shelf.select(Decimal(25), None, 4)
    assert four == rule(catalog, "noise", "refund", Decimal(25), budget=None, count=4)
    assert [item.id for item in four] == ["a1000", "a1001", "a1002", "a24"]


def test_an_alternative_worth_exactly_the_budget_is_within_it() -> None:
    """What a level may still grant is an upper bound it may reach: an alternative worth exactly that is offered,
    from a small catalog laid out in advance and from a large one searched kind by kind."""
    for size in (5, _catalog.SMALL + 1):
        general = [alternative(i, "voucher", f"{i + 1}.00", ("*",)) for i in range(size)]
        exact = alternative(size, "upgrade", "100.00", ("noise",))
        catalog = [*general, exact]
        shelf = CatalogIndex(catalog, CATEGORIES).shelf("noise", "refund")
        assert (shelf.walk is None) == (size > _catalog.SMALL)
        chosen = shelf.select(Decimal(150), Decimal(100), 1)
        assert [item.id for item in chosen] == [exact.id], size
        assert chosen == rule(catalog, "noise", "refund", Decimal(150), budget=Decimal(100), count=1)
        assert "upgrade" in shelf.kinds_within(Decimal(100))


def test_an_amount_asked_above_the_budget_never_brings_an_alternative_worth_more_than_the_budget() -> None:
    """Asked $150 with $10 left: the closest to what was asked *within the budget* is the $10 voucher, from a small
    catalog laid out in advance and from a large one searched kind by kind (never the $33 one, closer to $150)."""
    for size in (20, _catalog.SMALL + 1):
        catalog = [alternative(i, "voucher", f"{i + 1}.00", ("*",)) for i in range(size)]
        shelf = CatalogIndex(catalog, CATEGORIES).shelf("noise", "refund")
        assert (shelf.walk is None) == (size > _catalog.SMALL)
        chosen = shelf.select(Decimal(150), Decimal(10), 1)
        assert [item.value.amount for item in chosen] == [Decimal(10)], size
        assert chosen == rule(catalog, "noise", "refund", Decimal(150), budget=Decimal(10), count=1)
