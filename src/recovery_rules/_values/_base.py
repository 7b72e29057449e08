"""The base of every recovery-rules model, and the shared field types.

Models turn pydantic's ``ValidationError`` into :class:`InvalidInputError`
(or, for policies, :class:`PolicyError`), whose message lists every invalid
field with its location and never repeats the input it refused.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Final,
    NoReturn,
    Self,
    TypeVar,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
)

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, PrivateAttr, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, PydanticCustomError

from recovery_rules.exceptions import InvalidInputError, Problem

__all__ = [
    "CONSEQUENTIAL",
    "EMPLOYEE_EXAMPLE",
    "LOCATED_PROBLEMS",
    "WORD",
    "EmployeeId",
    "Identifier",
    "ReadOnly",
    "ReadOnlyDict",
    "RecoveryModel",
    "Suggestions",
    "Text",
    "Word",
    "check_employee",
    "encodes",
    "located_problems",
    "non_empty",
    "problems_from",
]

CONSEQUENTIAL: Final = "consequential"
"""Error type of a problem that only follows from another one; it is not reported."""

LOCATED_PROBLEMS: Final = "located_problems"
"""Error type carrying several :class:`Problem` items (in ``ctx["problems"]``) found by one check."""


def located_problems(problems: list[Problem]) -> PydanticCustomError:
    """One pydantic error that carries several located problems (see :func:`problems_from`)."""
    return PydanticCustomError(LOCATED_PROBLEMS, "{count} problems", {"count": len(problems), "problems": problems})


_TIME_EXAMPLE: Final = "such as 2026-11-23T09:30:00+00:00"

_FRIENDLY: Final[dict[str, str]] = {
    "missing": "is required",
    "extra_forbidden": "is not a field here; check the spelling",
    # Neither Python nor file syntax: a naive time may come from either (a datetime, or text without an offset).
    "timezone_aware": (
        'must have a time zone: write it with its UTC offset, for example "2026-11-23T09:30:00-05:00" or '
        '"2026-11-23T14:30:00Z"'
    ),
    "timezone_naive": "must not have a time zone",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be an integer, such as 3",
    "int_parsing": "must be an integer, such as 3",
    "int_from_float": "must be an integer, such as 3",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "dict_type": "must be a table (a mapping of names to values)",
    "model_type": "must be a table (a mapping of field names to values)",
    "model_attributes_type": "must be a table (a mapping of field names to values)",
    "datetime_type": f"must be a date and time with a time zone, {_TIME_EXAMPLE}",
    "datetime_parsing": f"must be a date and time with a time zone, {_TIME_EXAMPLE}",
    "datetime_from_date_parsing": f"must be a date and time with a time zone, {_TIME_EXAMPLE}",
    "datetime_object_invalid": f"must be a date and time with a time zone, {_TIME_EXAMPLE}",
    "date_type": "must be a date, such as 2026-11-23",
    "date_parsing": "must be a date, such as 2026-11-23",
    "date_from_datetime_parsing": "must be a date, such as 2026-11-23",
    "time_type": "must be a time of day, such as 09:30",
    "time_parsing": "must be a time of day, such as 09:30",
    "timedelta_type": "must be a duration, such as '2h'",
    "timedelta_parsing": "must be a duration, such as '2h'",
    "json_invalid": "is not valid JSON",
    "json_type": "must be JSON text",
    "recursion_loop": "is nested in itself",
    "invalid_key": "has a key that is not a string",
}

_LISTS: Final = ("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type")
"""pydantic's error types of a value that is not a list (a tuple or a set, to Python)."""

_ITEMS: Final[dict[str, tuple[str, str, str]]] = {
    "remedy_kinds": ("remedy kind", "remedy kinds", ', such as ["refund"]'),
    "refused_remedies": ("remedy kind", "remedy kinds", ', such as ["cash_payment"]'),
    "may_grant": ("remedy kind", "remedy kinds", ', such as ["refund", "credit"]'),
    "categories": ("category", "categories", ', such as ["room_not_ready"]'),
    "delegates": ("level", "levels", ', such as ["manager"]'),
    "applies_to": ("category or remedy kind", "categories or remedy kinds", ', such as ["out_of_stock"] or ["*"]'),
    "alternatives": ("alternative id", "alternative ids", ', such as ["callback"]'),
    "alternatives_include": ("alternative id", "alternative ids", ', such as ["callback"]'),
    "suggestions": ("alternative id", "alternative ids", ', such as ["callback"]'),
    "failed_rules": ("rule id", "rule ids", ', such as ["limit.level"]'),
    "wording": ("locale", "locales", ""),
}
"""What a list field of words holds, by field name: one, several, and an example of the list (as the end of a
sentence)."""


_LONGEST_KEY: Final = 64
"""A key longer than this (only an unknown one can be) is shortened in a location."""


def _key(part: str) -> str:
    return part if len(part) <= _LONGEST_KEY else f"{part[:32]}...({len(part):,} characters)"


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{_key(part)}" if out else _key(str(part))
    return out


_PYDANTIC_WORDS: Final = (
    (re.compile(r"^Value error, |^Assertion failed, "), ""),
    (re.compile(r"^(?:Input|Value|String|List|Tuple|Set|Dictionary|Object) should (?:be|have)\b"), "must be"),
    (re.compile(r"\bshould\b"), "must"),
)
"""pydantic's own English rewritten in the library's voice, for an error type no message here covers."""


def _expected(error: ErrorDetails) -> str:
    """The values an ``enum`` or ``literal_error`` allows, as a list: ``approved, escalated, denied``."""
    expected = str(error.get("ctx", {}).get("expected", ""))
    names = re.findall(r"'([^']*)'", expected) or [name for name in re.split(r", | or ", expected) if name]
    return ", ".join(names)


def _message(error: ErrorDetails, model: type[BaseModel] | None = None) -> str:
    kind = error["type"]
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    ctx = error.get("ctx", {})
    loc = tuple(error["loc"])
    if kind in ("too_short", "too_long") and "field_type" in ctx and _is_text(model, loc):
        kind = f"string_{kind}"  # a length checked after a validator of the text: pydantic calls it a Value's
    if kind in _LISTS or (kind in ("too_short", "too_long") and "field_type" in ctx):  # pydantic's, not ours
        one, several, example = _list_items(model, loc)
        if kind in _LISTS:
            return f"must be a list of {several}{example}"
        if kind == "too_short":
            least = int(ctx.get("min_length", 1))
            return f"must list at least one {one}" if least == 1 else f"must list at least {least:,} {several}"
        most, actual = int(ctx.get("max_length", 0)), ctx.get("actual_length")
        if actual is None:  # a table's (a mapping's) length: pydantic does not give it
            return f"has more than {most:,} {several}; the most is {most:,}"
        return f"lists {int(actual):,} {several}; the most is {most:,}"
    if kind in ("enum", "literal_error"):
        return f"must be one of {_expected(error)}"
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        return "must not be empty" if least == 1 else f"must be at least {least:,} characters long"
    if kind == "string_too_long":
        return f"must be at most {int(ctx.get('max_length', 0)):,} characters long"
    bounds = {"greater_than_equal": "at least", "less_than_equal": "at most", "greater_than": "more than"}
    bounds["less_than"] = "less than"
    if kind in bounds:
        bound = next(iter(ctx.values()), "")
        return f"must be {bounds[kind]} {bound}"
    message = error["msg"]
    for pattern, replacement in _PYDANTIC_WORDS:
        message = pattern.sub(replacement, message, count=1)
    return message


def _annotation_at(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> Any:
    """The type at ``loc`` inside ``model``, without its ``Annotated`` metadata; ``None`` when it cannot be told."""
    annotation: Any = model
    for part in loc:
        annotation = _inside(annotation, part)
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_text(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> bool:
    """Whether the value at ``loc`` inside ``model`` is text (or text or nothing)."""
    annotation = _annotation_at(model, loc)
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return any(_bare(option) is str for option in options)  # an option may be Annotated: ``Text | None``


def _bare(annotation: Any) -> Any:
    """``annotation`` without its ``Annotated`` metadata."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _list_items(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> tuple[str, str, str]:
    """What the list at ``loc`` in ``model`` holds: one, several, and an example to end a sentence with (or ``""``)."""
    name = loc[-1] if loc else None
    if isinstance(name, str) and name in _ITEMS:
        return _ITEMS[name]
    item = _annotation_at(model, (*loc, 0)) if model is not None else None
    if isinstance(item, type) and issubclass(item, BaseModel):
        one = str(getattr(item, "_what", "") or re.sub(r"(?<!^)(?=[A-Z])", " ", item.__name__).lower())
        return one, f"{one}s", f" (in TOML, a [[{name}]] table for each)" if isinstance(name, str) else ""
    return "item", "items", ""


def _inside(annotation: Any, part: int | str) -> Any:
    """The type found at ``part`` inside a value of type ``annotation``, or None when it cannot be told."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _inside(get_args(annotation)[0], part)
    if origin is Union or origin is types.UnionType:
        found = (_inside(arg, part) for arg in get_args(annotation) if arg is not type(None))
        return next((inner for inner in found if inner is not None), None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = _input_fields(annotation).get(part) if isinstance(part, str) else None
        return None if field is None else field.annotation
    if isinstance(origin, type) and isinstance(part, int) and issubclass(origin, Sequence):
        return get_args(annotation)[0] if get_args(annotation) else None
    if isinstance(origin, type) and isinstance(part, str) and issubclass(origin, Mapping):
        return get_args(annotation)[1] if len(get_args(annotation)) == 2 else None
    return None


def _input_fields(model: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``model`` by the name its input gives them: a field's alias when it has one (a host's model
    of camelCase names), which is what validation reads and what an error's location says."""
    by_name = model.model_config.get("validate_by_name") or model.model_config.get("populate_by_name")
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        fields[alias or name] = field
        if by_name or not alias:
            fields.setdefault(name, field)
    return fields


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The names the input may give the fields of the model at ``loc`` inside ``model``; empty when there is none."""
    annotation: Any = model
    for part in loc:
        annotation = _inside(annotation, part)
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return tuple(_input_fields(candidate))
    return ()


_SUGGESTION_WORK: Final = 100_000
"""The most names one :class:`Suggestions` compares, in all (a few tenths of a second)."""


class Suggestions:
    """The known name closest to one that is not known, for an error to suggest: "did you mean 'refund'?".

    One for each set of known names (the policy's levels, its remedy kinds, its alternatives' ids...): every
    message that refuses a name looked up in a set says the closest name in it the same way. Names are
    compared as :func:`difflib.get_close_matches` does (a ratio of at least 0.6), then case-folded. Each name
    looked up costs a comparison with every known name: past :data:`_SUGGESTION_WORK` comparisons no more
    suggestions are made (the errors still say what is wrong), so a file of thousands of misspelt names
    against a catalog of thousands of ids is refused as quickly as one with a single typo.
    """

    __slots__ = ("_known", "_left")

    def __init__(self, known: Iterable[str]) -> None:
        self._known = dict.fromkeys(known)  # in order, each once
        self._left = _SUGGESTION_WORK

    def closest(self, name: object) -> str | None:
        """The known name closest to ``name``, when one is close enough; ``None`` otherwise."""
        if not isinstance(name, str) or not name or len(name) > _LONGEST_KEY or name in self._known:
            return None  # no name this long is known; and a known name needs no suggestion
        if self._left < len(self._known):
            return None
        self._left -= len(self._known)
        close = difflib.get_close_matches(name, self._known, n=1, cutoff=0.6)
        if not close and name.casefold() != name:
            close = difflib.get_close_matches(name.casefold(), self._known, n=1, cutoff=0.6)
        return close[0] if close else None

    def did_you_mean(self, name: object, before: str = "", after: str = "") -> str:
        """``"did you mean 'refund'?"`` for the known name closest to ``name``, between ``before`` and ``after``
        (``"; "``, say); ``""`` when none is close."""
        close = self.closest(name)
        return f"{before}did you mean {close!r}?{after}" if close is not None else ""


def _closest_field(
    model: type[BaseModel] | None,
    loc: tuple[int | str, ...],
    shared: dict[tuple[str, ...], Suggestions] | None = None,
) -> str | None:
    """The field of ``model`` at ``loc[:-1]`` closest to the unknown name ``loc[-1]``, when one is close.

    ``shared`` keeps one :class:`Suggestions` per set of field names, so that the work of all the unknown names of
    one error is bounded (:data:`_SUGGESTION_WORK`), however many there are."""
    name = loc[-1] if loc else None
    if model is None or not isinstance(name, str) or len(name) > _LONGEST_KEY:  # no field name is that long
        return None
    fields = _fields_at(model, loc[:-1])
    if shared is None:
        return Suggestions(fields).closest(name)
    suggestions = shared.get(fields)
    if suggestions is None:
        suggestions = shared[fields] = Suggestions(fields)
    return suggestions.closest(name)


def _field_elsewhere(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> str | None:
    """What to say of an unknown name ``loc[-1]`` that is a field, but of another part of ``model``: a top-level
    field written after a TOML table (where it belongs to that table), or a list entry's field indented out of its
    entry in YAML. ``None`` when it is no field of those parts."""
    name = loc[-1] if loc else None
    if model is None or not isinstance(name, str) or name in _fields_at(model, loc[:-1]):
        return None
    whole = getattr(model, "_what", "") or "input"
    if len(loc) > 1 and name in _fields_at(model, ()):
        return (
            f"is not a field here but of the {whole} itself: move it above the first [table] or [[table]] "
            "(in TOML a key belongs to the table whose header is above it; in YAML, check its indentation)"
        )
    if len(loc) == 1:
        owners = [field for field in _fields_at(model, ()) if name in _fields_at(model, (field, 0))]
        if owners:
            return (
                f"is not a field of the {whole} but of each entry of {owners[0]}: check its indentation, "
                f"or move it into the {owners[0]} entry it belongs to"
            )
    return None


def _unknown_field(close: str | None) -> str:
    """The message for a field the model does not have: the closest known name ``close``, when one is close."""
    return f"is not a field here; did you mean {close!r}?" if close else _FRIENDLY["extra_forbidden"]


def problems_from(error: ValidationError, prefix: str = "", model: type[BaseModel] | None = None) -> list[Problem]:
    """The problems of a pydantic ``ValidationError``, with readable locations, one per root cause.

    With the ``model`` that was validated, an unknown field's message suggests
    the closest field name at its place ("did you mean 'limit'?"); when that
    field is missing, the misspelling is the one problem reported (not also
    "is required"). A problem said twice at one place is listed once.
    """
    details = error.errors(include_url=False, include_input=False, include_context=True)
    failed_items = {tuple(detail["loc"][:-1]) for detail in details if len(detail["loc"]) > 1}
    misspelt = set()
    shared: dict[tuple[str, ...], Suggestions] = {}
    closest: dict[tuple[int | str, ...], str | None] = {}  # each unknown name looked up once
    for detail in details:
        if detail["type"] == "extra_forbidden":
            loc = tuple(detail["loc"])
            close = closest[loc] = _closest_field(model, loc, shared)
            if close is not None:
                misspelt.add((*loc[:-1], close))
    problems: dict[tuple[str, str], Problem] = {}  # in order, each once

    def add(location: str, message: str) -> None:
        problems.setdefault((location, message), Problem(location, message))

    for detail in details:
        loc = tuple(detail["loc"])
        if detail["type"] == CONSEQUENTIAL:
            continue  # follows from another problem already listed
        if detail["type"] == "missing" and loc in misspelt:
            continue  # given under a misspelt name, which is the problem to fix
        if detail["type"] == "too_short" and any(failed[: len(loc)] == loc for failed in failed_items):
            continue  # "at least 1 item after validation": its items' own problems are the ones to fix
        location = _location(loc)
        if detail["type"] == LOCATED_PROBLEMS:
            for inner in detail.get("ctx", {}).get("problems", ()):
                where = ".".join(part for part in (prefix, location, inner.location) if part)
                add(where.replace(".[", "["), inner.message)
            continue
        if prefix:
            location = f"{prefix}.{location}" if location else prefix
        if detail["type"] == "extra_forbidden":
            add(location, _field_elsewhere(model, loc) or _unknown_field(closest.get(loc)))
            continue
        if len(loc) > 1 and loc[-1] == "[key]":  # pydantic's place for a mapping's key: the key is the name at fault
            key = loc[-2]
            location = location.removesuffix(".[key]")
            lower = f"; did you mean {key.lower()!r}?" if isinstance(key, str) and key.lower() != key else ""
            add(location, f"the name {key!r} {_message(detail, model)}{lower}")
            continue
        add(location, _message(detail, model))
    return list(problems.values())


if TYPE_CHECKING:  # the type checker needs the class by name; at run time it is whatever BaseModel's is
    from pydantic._internal._model_construction import ModelMetaclass as _PydanticMetaclass
else:
    _PydanticMetaclass = type(BaseModel)


# Repeated from pydantic's own metaclass: mypy reads ``dataclass_transform`` on a model's metaclass itself, not on
# the metaclass's bases, so without it every model's constructor would be ``(**data: Any)`` to a host's mypy.
@dataclass_transform(kw_only_default=True, field_specifiers=(Field, PrivateAttr))
class _TypedErrors(_PydanticMetaclass):
    """Calling a model class (``Complaint(...)``) raises an ``InvalidInputError``, never pydantic's error.

    Only a call of the class goes through here: pydantic builds the models nested in one it validates
    without calling their class, so each problem keeps its full location (``customer.id``), and a model
    keeps pydantic's own ``__init__`` (a model that overrides it is validated more slowly, nested or not).
    """

    if not TYPE_CHECKING:  # a type checker reads the model's own fields as its constructor, not ``(**kwargs) -> Any``

        def __call__(cls, /, *args, **kwargs):  # noqa: N805 - a metaclass's self is a class
            try:
                return super().__call__(*args, **kwargs)
            except ValidationError as error:
                raise cls._invalid(error) from None


class RecoveryModel(BaseModel, metaclass=_TypedErrors):
    """The base of every recovery-rules model; subclass it for input models of your own.

    A model of yours that holds the library's models (a web request with a
    :class:`~recovery_rules.Complaint` in it, a file of test cases) then behaves
    as they do:

    - frozen: a field cannot be set or deleted; ``model_copy(update=...)``
      makes a changed copy;
    - a field it does not have is refused, with the closest name it does have
      ("did you mean 'limit'?"); that field is then not also reported missing;
    - pydantic's ``ValidationError`` never leaves it: building one, or
      ``model_validate``, ``model_validate_json`` and ``model_validate_strings``,
      raise :class:`~recovery_rules.InvalidInputError` instead, with every
      invalid field as a located :class:`~recovery_rules.Problem`
      (``complaint.requested.amount``) in the library's words, and never the
      input itself (personal data stays out of messages and logs). The error
      names the model by its class name.

    >>> from recovery_rules import Complaint, InvalidInputError, RecoveryModel
    >>> class DecideRequest(RecoveryModel):
    ...     by: str
    ...     complaint: Complaint
    >>> try:
    ...     DecideRequest.model_validate({"complant": {"category": "noise"}})
    ... except InvalidInputError as error:
    ...     print(error)
    invalid DecideRequest (2 problems):
      - by: is required
      - complant: is not a field here; did you mean 'complaint'?
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        validate_default=False,
        arbitrary_types_allowed=False,
    )

    _what: ClassVar[str] = ""

    @classmethod
    def _invalid(cls, error: ValidationError) -> Exception:
        return InvalidInputError(cls._what or cls.__name__, problems_from(error, model=cls))

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):  # pydantic's private attributes, set while a model is built
            super().__setattr__(name, value)
            return
        raise AttributeError(
            f"{type(self).__name__} is immutable; make a changed copy with model_copy(update={{{name!r}: ...}})"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """As pydantic's; raises :class:`~recovery_rules.InvalidInputError` instead of ``ValidationError``."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as error:
            raise cls._invalid(error) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """As pydantic's; raises :class:`~recovery_rules.InvalidInputError` instead of ``ValidationError``."""
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as error:
            raise cls._invalid(error) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Self:
        """As pydantic's; raises :class:`~recovery_rules.InvalidInputError` instead of ``ValidationError``."""
        try:
            return super().model_validate_strings(obj, **kwargs)
        except ValidationError as error:
            raise cls._invalid(error) from None


_K = TypeVar("_K")
_V = TypeVar("_V")


class ReadOnlyDict(dict[_K, _V]):
    """A ``dict`` that cannot be changed: what the mappings of the library's frozen models hold.

    A model is a value: a policy's ``tier_limits`` or a trace entry's ``figures``
    changed in place would make its data say one thing while its decisions (made
    from what was checked and compiled) do another. So item assignment, ``del``,
    ``update``, ``pop``, ``clear``, ``setdefault``, ``popitem`` and ``|=`` raise
    ``TypeError``; make a changed copy with ``dict(mapping)`` or
    ``model_copy(update=...)``, and validate it. Reading, comparing (equal to a
    ``dict`` of the same items), JSON and pickling work as for a ``dict``; unlike
    a ``dict``, it hashes (by its items), as the frozen models holding it do.
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("this mapping is read-only (it belongs to a frozen model); change a copy: dict(mapping)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __reduce__(self) -> tuple[type[ReadOnlyDict[_K, _V]], tuple[dict[_K, _V]]]:
        return (type(self), (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]  # a dict is not hashable; one that cannot change is
        # The models holding it are values that hash (a frozen model hashes its fields): equal mappings hash
        # alike; one holding a value that does not hash (a list) raises TypeError, as a tuple holding one does.
        return hash(frozenset(self.items()))

    def __repr__(self) -> str:
        return dict.__repr__(self)


def read_only(value: Mapping[_K, _V]) -> ReadOnlyDict[_K, _V]:
    """``value`` as a :class:`ReadOnlyDict` (itself when it is one)."""
    return value if type(value) is ReadOnlyDict else ReadOnlyDict(value)


ReadOnly = AfterValidator(read_only)
"""Put in ``Annotated[dict[...], ReadOnly]``: the validated mapping is a :class:`ReadOnlyDict`."""


class _MostCharacters:
    """The JSON schema of text checked to at most ``most`` characters says so (``maxLength``), unless a tighter
    bound (``Field(max_length=500)``) already does."""

    def __init__(self, most: int) -> None:
        self.most = most

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["maxLength"] = min(schema.get("maxLength", self.most), self.most)
        return schema


def _pattern_check(pattern: str, max_length: int, description: str, example: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not value:
            raise PydanticCustomError("empty", f"must not be empty; write {description}, such as {example!r}")
        if len(value) > max_length:
            raise PydanticCustomError("too_long", f"is {len(value):,} characters long; the most is {max_length}")
        if not compiled.fullmatch(value):
            raise PydanticCustomError("pattern", f"must be {description}, such as {example!r}")
        return value

    return check


WORD: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a :data:`Word` is, for checks outside a model: a lower-case word of at most 64 characters."""

Word = Annotated[
    str,
    AfterValidator(
        _pattern_check(
            r"[a-z][a-z0-9_]*",
            64,
            "a lower-case word of ASCII letters, digits and '_' that starts with a letter",
            "room_not_ready",
        )
    ),
    _MostCharacters(64),
]
"""A name from a policy's vocabulary: a level, tier, category or remedy kind."""

Identifier = Annotated[
    str,
    AfterValidator(
        _pattern_check(
            r"[A-Za-z0-9][A-Za-z0-9_.-]*",
            64,
            "ASCII letters, digits, '_', '.' or '-', starting with a letter or digit",
            "10442",
        )
    ),
    _MostCharacters(64),
]
"""An identifier chosen by the host app (customer number, alternative id)."""


EMPLOYEE_EXAMPLE: Final = "E-0042"
"""The example employee id the messages give."""
_EMPLOYEE_CHARACTERS: Final = "".join(chr(code) for code in range(0x21, 0x7F))
_EMPLOYEE_MESSAGE: Final = (
    "must be an employee id (1 to 64 printable ASCII characters without spaces), never a name: "
    f"pass an employee id such as {EMPLOYEE_EXAMPLE!r}"
)


def _is_employee_id(value: object) -> bool:
    return type(value) is str and 1 <= len(value) <= 64 and not value.strip(_EMPLOYEE_CHARACTERS)


def _employee_check(value: str) -> str:
    if not _is_employee_id(value):
        raise PydanticCustomError("employee", _EMPLOYEE_MESSAGE)
    return value


EmployeeId = Annotated[str, AfterValidator(_employee_check)]
"""Who acted: an employee id chosen by the host app (``"E-0042"``), never a name; 1 to 64 printable ASCII
characters without spaces."""


def check_employee(value: object, *, what: str = "employee") -> str | None:
    """``value`` if it is ``None`` or an employee id (see :data:`EmployeeId`); else :class:`InvalidInputError`."""
    if value is None or _is_employee_id(value):
        return value  # type: ignore[return-value]  # None or a str, checked just above
    raise InvalidInputError.at(what, "employee", _EMPLOYEE_MESSAGE)


def non_empty(value: str) -> str:
    """Refuse text that is empty or only white space (an ``AfterValidator`` for :data:`Text` fields)."""
    if not value.strip():
        raise PydanticCustomError("empty", "must not be empty")
    return value


def encodes(text: str) -> bool:
    """Whether ``text`` is text UTF-8 can write: no lone surrogate (JSON's ``"\\ud800"`` reads as one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_check(max_length: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > max_length:
            raise PydanticCustomError("too_long", f"is {len(value):,} characters long; the most is {max_length:,}")
        if "\x00" in value:
            raise PydanticCustomError("nul", "must not contain NUL characters")
        if not (value.isascii() or encodes(value)):  # JSON's "\ud800": valid JSON, no text; refused where given
            raise PydanticCustomError("surrogate", "contains a lone surrogate, which is not text")
        return value

    return check


Text = Annotated[str, AfterValidator(_text_check(10_000)), _MostCharacters(10_000)]
"""Free text written by people (descriptions, directions), at most 10,000 characters."""
