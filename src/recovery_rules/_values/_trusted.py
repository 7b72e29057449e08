"""Building models from values the library itself made and checked, without validating them again.

pydantic's public way to make a model without validation is ``model_construct``,
which walks every field looking for aliases and defaults on each call. The
journal seals every event and works out every grant's running totals from values
it already checked (a checked draft, checked stored grants, sums of checked
amounts): validating them again costs more than the rest of an append. So, as
the engine does for its resolutions (``_engine/_resolution.py``), a trusted
builder sets what ``model_construct`` sets (the instance's ``__dict__`` and
pydantic's three per-instance slots) directly.

That reaches into how pydantic lays out a model, which a pydantic release may
change. So each builder is checked once, when it is made, against
``model_construct`` on a sample: if they are not interchangeable, the builder is
``model_construct`` itself, slower but correct. tests/test_append_cost.py says
which one is in use.

Only for values already checked: a trusted builder checks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from pydantic import BaseModel

__all__ = ["same_model", "slot_setters", "trusted_builder"]

_new: Final = object.__new__
M = TypeVar("M", bound=BaseModel)


def slot_setters() -> tuple[Any, ...] | None:
    """The setters of the slots ``model_construct`` fills, or ``None`` when this pydantic has others."""
    try:
        slots = {name: BaseModel.__dict__[name] for name in BaseModel.__slots__}
    except (AttributeError, KeyError, TypeError):
        return None
    names = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
    if set(slots) != set(names):
        return None
    return tuple(slots[name].__set__ for name in names)


def same_model(fast: BaseModel, constructed: BaseModel) -> bool:
    """Whether two models are interchangeable: the same class, fields (in order), field set, extra and private."""
    return (
        type(fast) is type(constructed)
        and fast.__dict__ == constructed.__dict__
        and list(fast.__dict__) == list(constructed.__dict__)
        and fast.model_fields_set == constructed.model_fields_set
        and fast.model_extra == constructed.model_extra
        and getattr(fast, "__pydantic_private__", None) == getattr(constructed, "__pydantic_private__", None)
        and fast == constructed
    )


def trusted_builder(
    model: type[M], fields_set: frozenset[str], sample: Mapping[str, Any]
) -> Callable[[dict[str, Any]], M]:
    """A function making a ``model`` from a dict of every field's value, in the model's field order, unchecked.

    ``fields_set`` is what the model reports as set (what validating the same
    call would report). The model's private attributes start at their defaults
    (``None`` only: a model with another default gets ``model_construct``).
    ``sample`` is one such dict, made of valid values: the fast builder is used
    only if it makes what ``model_construct`` makes from it.
    """
    names = set(fields_set)
    private = {name: attribute.default for name, attribute in model.__private_attributes__.items()}

    def constructed(values: dict[str, Any]) -> M:
        return model.model_construct(set(names), **values)

    setters = slot_setters()
    if setters is None or any(default is not None for default in private.values()):
        return constructed
    set_dict, set_fields_set, set_extra, set_private = setters
    private_or_none = private or None

    def fast(values: dict[str, Any]) -> M:
        made = _new(model)
        set_dict(made, values)
        set_fields_set(made, set(names))
        set_extra(made, None)
        set_private(made, None if private_or_none is None else dict(private_or_none))
        return made

    try:
        agree = same_model(fast(dict(sample)), constructed(dict(sample)))
    except Exception:  # any difference in how this pydantic builds a model: use its public constructor
        agree = False
    return fast if agree else constructed
