"""The JSON Schema of a policy as it is written in a file, for editors and validators.

A policy file may use shorthands that ``Policy`` reads but pydantic's schema of
its fields does not describe:

- an amount may be written bare, in the policy's currency (``"2000.00"`` or
  ``2000``), besides ``"2000.00 USD"`` and ``{"amount": ..., "currency": ...}``;
  amounts in a policy are never negative;
- a level's ``limit`` may be ``"unlimited"``;
- a duration may be short (``"2h"``, ``"1h30m"``, ``"1d"``) as well as ISO 8601
  (``"PT2H"``);
- a JSON or YAML file may name its schema in a ``"$schema"`` key.

``Policy.model_json_schema()`` applies :func:`with_file_shorthands`, so the schema
accepts every file ``Policy.from_file`` reads.
"""

from __future__ import annotations

import copy
from typing import Any, Final

__all__ = ["for_validation", "with_file_shorthands"]

_BARE_AMOUNTS: Final[list[dict[str, Any]]] = [
    {"type": "string", "pattern": r"^[0-9]{1,16}(\.[0-9]{1,8})?$"},
    {"type": "integer", "minimum": 0},
]
"""What a policy file may write besides the forms of ``Money``: an amount in the policy's currency."""
UNLIMITED: Final[dict[str, Any]] = {"const": "unlimited", "description": "No limit of its own: only the hard cap."}
DURATION: Final[dict[str, Any]] = {
    "title": "Duration",
    "description": "A duration: '2h', '30m', '1d', '1h30m', or ISO 8601 such as 'PT2H'.",
    "type": "string",
    "anyOf": [
        {"pattern": "^([0-9]{1,4}d)?([0-9]{1,5}h)?([0-9]{1,6}m)?([0-9]{1,7}s)?$", "minLength": 2},
        {"pattern": "^P[0-9YMWDTHS.]+$"},
    ],
}


def _is_money(node: dict[str, Any]) -> bool:
    description = node.get("description")
    return isinstance(description, str) and description.startswith("An exact amount:") and "anyOf" in node


def _not_negative(node: Any) -> Any:
    """``node`` with every amount pattern's optional minus sign taken out: policies hold no negative amounts."""
    if isinstance(node, dict):
        return {
            key: value.replace("^-?", "^") if key == "pattern" else _not_negative(value) for key, value in node.items()
        }
    if isinstance(node, list):
        return [_not_negative(item) for item in node]
    return node


def _amount(money: dict[str, Any]) -> dict[str, Any]:
    """The schema of an amount in a policy file, from the schema of ``Money``."""
    return {
        "title": "Amount",
        "description": (
            'An amount that is not negative, in the policy\'s currency: "2000.00" or 2000; '
            'or with its currency: "2000.00 USD" or {"amount": "2000.00", "currency": "USD"}.'
        ),
        "anyOf": [*copy.deepcopy(_BARE_AMOUNTS), *_not_negative(money["anyOf"])],
    }


def with_file_shorthands(node: Any, path: tuple[str, ...] = ()) -> Any:
    """``node`` (the model's JSON Schema, or a part of it) with the shorthands a policy file may use."""
    if isinstance(node, list):
        return [with_file_shorthands(item, path) for item in node]
    if not isinstance(node, dict):
        return node
    if _is_money(node):
        return _amount(node)
    if node.get("format") == "duration" and node.get("type") == "string":
        return copy.deepcopy(DURATION)
    out = {key: with_file_shorthands(value, (*path, key)) for key, value in node.items()}
    if path == ("$defs", "AuthorityLevel", "properties", "limit"):
        out["anyOf"] = [*out["anyOf"], copy.deepcopy(UNLIMITED)]
    if path == () and "properties" in out:
        # A JSON or YAML policy may name its schema for its editor; Policy ignores the key.
        out["properties"] = {
            "$schema": {"type": "string", "description": "The JSON Schema of this file, for editors; ignored."},
            **out["properties"],
        }
    return out


def for_validation(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a ``model_json_schema(*args, **kwargs)`` call asks for the input (validation) schema."""
    mode: object = kwargs.get("mode", args[3] if len(args) > 3 else "validation")
    return mode == "validation"
