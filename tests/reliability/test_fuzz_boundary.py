"""Bad input at the boundary: thousands of malformed complaints, policy files and journal writes, typed errors only.

Everything a host passes in is generated wrong in every way Hypothesis finds:
valid complaints and policies with one part replaced by any JSON value, policy
files cut, spliced and garbled as text (TOML, JSON, YAML), deeply nested JSON,
megabyte strings, and ids full of confusable and invisible Unicode (Cyrillic
look-alikes, zero-width spaces, right-to-left overrides, full-width digits,
byte order marks, NULs, lone surrogates). Each call either works or raises a
:class:`~recovery_rules.RecoveryRulesError`; any other exception fails the test
(Hypothesis then shows the input). Journal writes go to SQLite and PostgreSQL,
and whatever a journal accepts reads back exactly as it was written.

Hostile values and files, at the end, are held to time and memory bounds as
well: integers of thousands of digits, YAML keys that are lists, YAML alias
bombs, time zone names that are folders, booleans for numbers, times Python
cannot convert to UTC, and paths that are FIFOs, /dev/zero, directories or
sparse files of gigabytes, through the library and the command line's readers.

``make test`` runs a few thousand inputs in all; ``make reliability`` ten times as many.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import tempfile
import time
import tomllib
import tracemalloc
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery_rules import (
    Case,
    ChainHead,
    Complaint,
    ComplaintNumber,
    Customer,
    Draft,
    InvalidInputError,
    Journal,
    JournalIntegrityError,
    MemoryJournal,
    Money,
    Policy,
    RecoveryRulesError,
    SQLiteJournal,
    Window,
    presets,
)
from recovery_rules.cli._errors import CliInputError
from recovery_rules.cli._inputs import (
    MAX_INPUT_BYTES,
    load_complaint,
    policy_problems,
    read_data_file,
    render_problems,
)
from recovery_rules.cli._records import JsonLinesSource

from ._alarm import alarm
from ._journals import Place, size

PRESETS = Path(presets.__file__).parent
RITZ_TEXT = (PRESETS / "ritz_carlton.toml").read_text(encoding="utf-8")
RITZ_DATA = tomllib.loads(RITZ_TEXT)
POLICY = presets.ritz_carlton()
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
MEGABYTE = 2**20

CONFUSABLES = [
    "1О442",  # a Cyrillic capital O
    "іd-7",  # a Cyrillic i
    "10442\u200b",  # a zero-width space
    "\u202e24401",  # a right-to-left override
    "\ufeff10442",  # a byte order mark
    "１０４４２",  # full-width digits
    "10442\x00",  # NUL
    "10442\ud800",  # a lone surrogate
    "staﬀ",  # the ff ligature
    "ſtaff",  # a long s
    "İ",  # a dotted capital I, whose lower case is two characters
    "e\u0301",  # e and a combining accent
    "\u2028",  # a line separator
    " 10442 ",
    "",
]
texts = st.one_of(
    st.sampled_from(CONFUSABLES),
    st.text(max_size=40),
    st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(["x", "é", "\u200b", "𝔵"]),
        st.integers(MEGABYTE // 4, MEGABYTE),
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.sampled_from(["250.00", "-1", "1e400", "NaN", "0.001", "2026-11-23T09:30:00", "USD", "usd", "XXX"]),
)
storable = st.recursive(  # what the journal stores: no floats, integers JSON reads exactly, text keys
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=12
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


deep_values = st.builds(nested, st.integers(50, 5000))
anything = st.one_of(json_values, deep_values)

COMPLAINT = {
    "customer": {"id": "10442", "tier": "gold", "name": "Zoë"},
    "category": "room_not_ready",
    "requested": {"kind": "refund", "amount": {"amount": "250.00", "currency": "USD"}},
    "received_at": "2026-11-23T09:30:00+00:00",
    "description": "The room was not ready.",
}
COMPLAINT_PATHS = [
    (),
    ("customer",),
    ("customer", "id"),
    ("customer", "tier"),
    ("customer", "name"),
    ("category",),
    ("requested",),
    ("requested", "kind"),
    ("requested", "amount"),
    ("requested", "amount", "amount"),
    ("requested", "amount", "currency"),
    ("received_at",),
    ("description",),
    ("number",),
    ("surprise",),
]


def replaced(data: Any, path: tuple[str, ...], value: Any) -> Any:
    """``data`` with the part at ``path`` replaced by ``value`` (the whole of it for ``()``)."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else {}
    copy[path[0]] = replaced(copy.get(path[0]), path[1:], value)
    return copy


def paths(data: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every path into ``data``, the root first."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*prefix, index))


POLICY_PATHS = list(paths(RITZ_DATA))


def replaced_at(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int):
        copy = list(data)
        copy[head] = replaced_at(copy[head], rest, value)
        return copy
    copy_dict = dict(data)
    copy_dict[head] = replaced_at(copy_dict[head], rest, value)
    return copy_dict


@st.composite
def garbled(draw: st.DrawFn, text: str) -> str:
    """``text`` cut, spliced or garbled a few times."""
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 200)))
        how = draw(st.sampled_from(["cut", "insert", "replace", "repeat"]))
        piece = draw(texts | st.sampled_from(["[", "]", "{", "}", '"', "=", "\n", "[[levels]]", "'''", "\\u0000"]))
        if how == "cut":
            text = text[:start] + text[end:]
        elif how == "insert":
            text = text[:start] + piece + text[start:]
        elif how == "replace":
            text = text[:start] + piece + text[end:]
        else:
            text = text[:start] + text[start:end] * 3 + text[end:]
    return text


def deep_json(depth: int) -> str:
    return '{"name": ' + "[" * depth + "1" + "]" * depth + "}"


def fuzz(examples: int, full: int | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``examples`` Hypothesis examples at CI size; ``full`` (else ten times as many) in ``make reliability``."""
    return settings(
        max_examples=size(examples, examples * 10 if full is None else full),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


def tally(seen: Counter[str], call: Callable[[], object], *, never: tuple[type[Exception], ...] = ()) -> None:
    """Run ``call``: it works, or raises a RecoveryRulesError (counted by type); anything else propagates.

    ``never`` are typed errors that must not happen either (a journal nobody tampered with is never bad).
    """
    try:
        call()
    except never:
        raise
    except RecoveryRulesError as error:
        seen[type(error).__name__] += 1
    else:
        seen["accepted"] += 1


def summary(what: str, seen: Counter[str]) -> str:
    total = sum(seen.values())
    parts = ", ".join(f"{name} {count}" for name, count in seen.most_common())
    return f"{total} {what}: {parts}; any other exception 0"


def test_malformed_complaints_end_in_typed_errors(figure: Callable[[str], None]) -> None:
    seen: Counter[str] = Counter()

    @fuzz(300, 15_000)  # each draw is a whole complaint: a few hundred reach every path and kind of value
    @given(path=st.sampled_from(COMPLAINT_PATHS), value=anything, by=st.one_of(st.just("staff"), texts))
    def run(path: tuple[str, ...], value: Any, by: str) -> None:
        data = replaced(COMPLAINT, path, value)
        tally(seen, lambda: POLICY.decide(Complaint.model_validate(data), by=by, now=NOW))
        try:
            text = json.dumps(data)
        except (TypeError, ValueError, RecursionError):  # not JSON at all: the JSON boundary never sees it
            return
        tally(seen, lambda: Complaint.model_validate_json(text))

    run()
    refused = seen["InvalidInputError"]
    for depth in (1_000, 100_000):
        tally(seen, lambda depth=depth: Complaint.model_validate_json(deep_json(depth)))  # type: ignore[misc]
    figure(summary("malformed complaints (Python objects and JSON text)", seen))
    assert refused > 0  # the harness reached the checks, not only the happy path
    assert seen["InvalidInputError"] == refused + 2  # JSON nested 1,000 and 100,000 deep: refused, said why


def test_malformed_policy_files_end_in_typed_errors(figure: Callable[[str], None]) -> None:
    seen: Counter[str] = Counter()

    @fuzz(250, 10_000)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(["toml text", "json text", "yaml text", "data"]))
        if form == "data":
            changed = replaced_at(RITZ_DATA, data.draw(st.sampled_from(POLICY_PATHS)), data.draw(anything))
            tally(seen, lambda: Policy.model_validate(changed))
            return
        format = form.split()[0]
        source = RITZ_TEXT if format == "toml" else json.dumps(RITZ_DATA, indent=2)  # YAML reads JSON too
        text = data.draw(garbled(source))
        tally(seen, lambda: Policy.from_text(text, format=format))  # type: ignore[arg-type]

    run()
    refused = seen["PolicyError"]
    for depth in (1_000, 100_000):
        tally(seen, lambda depth=depth: Policy.from_text(deep_json(depth), format="json"))  # type: ignore[misc]
        tally(seen, lambda depth=depth: Policy.from_text("a = " + "[" * depth, format="toml"))  # type: ignore[misc]
    figure(summary("malformed policies (TOML, JSON and YAML text, and data)", seen))
    assert refused > 0  # garbled files are refused
    assert seen["accepted"] > 0  # and some changes leave a valid policy
    assert seen["PolicyError"] == refused + 4  # JSON and TOML nested 1,000 and 100,000 deep: refused, said why


def test_other_boundaries_end_in_typed_errors(figure: Callable[[str], None]) -> None:
    seen: Counter[str] = Counter()

    @fuzz(400)
    @given(text=texts, value=anything)
    def run(text: str, value: Any) -> None:
        tally(seen, lambda: ComplaintNumber.parse(text))
        tally(seen, lambda: ChainHead.parse(text))
        tally(seen, lambda: Money(value, text))
        tally(seen, lambda: Customer(id=text))
        tally(seen, lambda: POLICY.decide(VALID, by=text, now=NOW))
        tally(seen, lambda: POLICY.decide(VALID, by="staff", granted=value, now=NOW))

    run()
    figure(summary("complaint numbers, chain heads, amounts, ids and levels", seen))
    assert seen["accepted"] > 0  # each boundary takes some values
    assert sum(seen.values()) > seen["accepted"]  # and refuses others, typed


VALID = Complaint.model_validate(COMPLAINT)


@pytest.fixture
def journal(place: Place) -> Iterator[Journal]:
    with place.open() as opened:
        yield opened


def test_journal_writes_end_in_typed_errors_and_read_back_exactly(
    journal: Journal, place: Place, figure: Callable[[str], None]
) -> None:
    seen: Counter[str] = Counter()
    written = 0

    @fuzz(150)
    @given(
        notes=texts,
        key=st.uuids().map(str) | texts,
        data=storable | anything,
        request=storable | anything,
        customer=st.sampled_from(["10442", "10442", "a.b-c_d", *CONFUSABLES]),
    )
    def run(notes: str, key: str, data: Any, request: Any, customer: str) -> None:
        nonlocal written

        def write() -> None:
            nonlocal written
            number = ComplaintNumber.parse(f"20261123-{customer}")
            draft = Draft(kind="noted", state="noted", actor="staff", at=NOW, data={"notes": notes, "more": data})
            version = journal.version(number)
            event = journal.append(number, draft, expected_version=version, key=key, request={"r": request})
            assert journal.find(key) == event  # whatever was accepted reads back exactly
            written += 1

        tally(seen, write, never=(JournalIntegrityError,))
        complaint = VALID.model_copy(update={"description": notes})  # not validated: Case.open must check it

        def opened() -> None:
            Case.open(journal, POLICY, complaint, by="staff", now=NOW, key=key).listen(notes=notes)

        tally(seen, opened, never=(JournalIntegrityError,))

    run()
    verified = journal.verify().ok
    figure(f"{place}: {summary('journal writes (notes, keys, event data, requests, ids)', seen)}; verify ok {verified}")
    assert verified
    assert written  # some writes were valid: the round trip was really checked


def test_the_fuzz_check_catches_an_untyped_error() -> None:
    """Teeth: an exception outside the hierarchy is not counted, it escapes and fails the run."""
    seen: Counter[str] = Counter()
    with pytest.raises(KeyError):
        tally(seen, lambda: dict[str, int]()["missing"])
    assert not seen


def test_a_complaint_copied_past_its_limits_is_refused_before_anything_is_recorded(place: Place) -> None:
    """What the fuzz run found: ``model_copy(update=...)`` skips validation, and the case could never be read back."""
    too_long = VALID.model_copy(update={"description": "x" * 10_001})
    with place.open() as journal:
        with pytest.raises(InvalidInputError, match="description"):
            Case.open(journal, POLICY, too_long, by="staff", now=NOW)
        assert journal.head().count == 0


# -- hostile values and hostile files, within time and memory bounds -------------------------------
#
# The classes an adversary reaches for: integers of thousands of digits (Python refuses to convert them),
# YAML keys that are lists or tables, time zone names that are folders of the time zone database,
# booleans where numbers belong (and numbers where times belong), times at the ends of what Python can
# hold, and paths that are not regular files (a FIFO, /dev/zero, a directory, a sparse file of
# gigabytes). Every call gives a typed error or a result, within SECONDS and PEAK_BYTES.

SECONDS = 5.0
"""The most one call may take on a shared machine; a hang is stopped (and fails the run) at four times that."""

PEAK_BYTES = 64 * MEGABYTE
"""The most Python may allocate for one call (tracemalloc's peak): a read of /dev/zero or of gigabytes is far more."""

PLACEHOLDER = "HOSTILE_VALUE_PLACEHOLDER"
ZONE_FOLDERS = sorted(
    {name.rsplit("/", 1)[0] for name in zoneinfo.available_timezones() if "/" in name}
    | {name.split("/")[0] for name in zoneinfo.available_timezones() if "/" in name}
)
ODD_ZONES = ["America/", "Etc/../America", "../America/New_York", "/usr/share/zoneinfo/UTC", "UTC\x00", "zone.tab", ""]
EXTREME_TIMES = [
    "0001-01-01T00:00:00+05:00",  # before the first time Python can hold in UTC
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-05:00",  # after the last one
    "9999-12-31T23:59:59.999999+00:00",
    "1899-12-31T23:59:59Z",
    "2026-02-30T09:30:00Z",
    "2026-11-23T09:30:00+24:00",
    "2026-11-23T09:30:00",
    "1700000000",
    "1700000000000",
]
BARE_TIMES = [  # date-times of TOML and YAML; not JSON
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2026-02-30",
    "0001-01-01",
    "2026-11-23T09:30:00",
]
COMPLEX_KEYS = ["{[a, b]: 1}", "{? {x: 1} : 2}", "{? [levels] : 1}"]
ALIAS_BOMB = "bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n" for level in range(1, 7)
)
"""Seven levels of nine aliases (``*a6``): 4.8 million strings to anything that walks it as a tree."""
YAML_PREFIXES = ["", "? [a, b]\n: 1\n", ALIAS_BOMB]
hostile_literals = st.one_of(
    st.builds(lambda sign, count: sign + "9" * count, st.sampled_from(["", "-"]), st.integers(4000, 6000)),
    st.builds(lambda count: "1" + "_0" * count, st.integers(4300, 5000)),  # TOML and YAML allow '_' in numbers
    st.sampled_from(["true", "false", "1.0", "1e400", "-0", "nan", "inf", ".nan", "null", "[]", "{}", "*a6"]),
    st.sampled_from(COMPLEX_KEYS),
    st.sampled_from([*ZONE_FOLDERS, *ODD_ZONES]).map(json.dumps),
    st.sampled_from(EXTREME_TIMES).map(json.dumps),
    st.sampled_from(BARE_TIMES),
)


class Hung(BaseException):
    """A call went on past its deadline (a BaseException, so no ``except OSError`` or ``Exception`` swallows it)."""


@dataclass
class Worst:
    """The longest call and the largest peak allocation seen."""

    seconds: float = 0.0
    peak: int = 0

    def __str__(self) -> str:
        return f"slowest call {self.seconds:.2f} s, largest peak {self.peak / MEGABYTE:.1f} MB"


def bounded(
    seen: Counter[str], worst: Worst, call: Callable[[], object], *, typed: tuple[type[Exception], ...] = ()
) -> None:
    """:func:`tally` ``call`` (``typed`` errors count as typed too), within SECONDS and PEAK_BYTES."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with alarm(4 * SECONDS, Hung):
            try:
                tally(seen, call)
            except typed as error:
                seen[type(error).__name__] += 1
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    worst.seconds, worst.peak = max(worst.seconds, seconds), max(worst.peak, peak)
    assert seconds < SECONDS, f"took {seconds:.1f} s"
    assert peak < PEAK_BYTES, f"allocated {peak:,} bytes at the peak"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items()) + "}"


def policy_text(data: Any, format: str) -> str:
    """``data`` written as a policy file of ``format``; PLACEHOLDER is written as a plain word (YAML) or string."""
    if format == "json":
        return json.dumps(data, indent=1)
    if format == "yaml":
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    if not isinstance(data, dict):
        return f"x = {toml_value(data)}"
    return "\n".join(f"{json.dumps(key)} = {toml_value(value)}" for key, value in data.items())


def with_literal(text: str, literal: str, format: str) -> str:
    quoted = PLACEHOLDER if format == "yaml" else json.dumps(PLACEHOLDER)
    return text.replace(quoted, literal)


def as_check_reads(file: Path) -> Policy:
    """The policy in ``file`` read as ``recovery-rules check`` reads it; its problems, placed on their lines, raised."""
    policy, problems = policy_problems(file)
    if policy is None:
        raise CliInputError(render_problems("does not load", problems, str(file)))
    return policy


def test_hostile_values_in_policy_files_give_typed_errors_within_bounds(
    tmp_path: Path, figure: Callable[[str], None]
) -> None:
    """The library's reader (``Policy.from_text``) and the command line's (which places each problem on its line)."""
    seen: Counter[str] = Counter()
    worst = Worst()

    @fuzz(40)
    @given(
        format=st.sampled_from(["toml", "json", "yaml"]),
        path=st.sampled_from(POLICY_PATHS),
        literal=hostile_literals,
        prefix=st.sampled_from(YAML_PREFIXES),
    )
    def run(format: str, path: tuple[str | int, ...], literal: str, prefix: str) -> None:
        text = with_literal(policy_text(replaced_at(RITZ_DATA, path, PLACEHOLDER), format), literal, format)
        if format == "yaml":
            text = prefix + text
        bounded(seen, worst, lambda: Policy.from_text(text, format=format))  # type: ignore[arg-type]  # one of three
        file = tmp_path / f"policy.{format}"
        file.write_text(text, encoding="utf-8")
        bounded(seen, worst, lambda: as_check_reads(file), typed=(CliInputError,))

    run()
    for key in ("name", "levels", "catalog", "wording"):
        text = ALIAS_BOMB + policy_text({**RITZ_DATA, key: PLACEHOLDER}, "yaml").replace(PLACEHOLDER, "*a6")
        bounded(seen, worst, lambda text=text: Policy.from_text(text, format="yaml"))  # type: ignore[misc]
        file = tmp_path / "bomb.yaml"
        file.write_text(text, encoding="utf-8")
        bounded(seen, worst, lambda file=file: as_check_reads(file), typed=(CliInputError,))  # type: ignore[misc]
    number = ComplaintNumber.parse("20261123-10442")
    with MemoryJournal() as journal:
        for name in ZONE_FOLDERS:
            bounded(seen, worst, lambda name=name: Policy.model_validate({**RITZ_DATA, "timezone": name}))  # type: ignore[misc]
            bounded(
                seen,
                worst,
                lambda name=name: journal.granted(  # type: ignore[misc]
                    number, window=Window.day(), timezone=name, currency="USD", now=NOW
                ),
            )
    for format in ("toml", "json", "yaml"):  # the untouched policy loads, in each format: the harness counts successes
        bounded(seen, worst, lambda format=format: Policy.from_text(policy_text(RITZ_DATA, format), format=format))  # type: ignore[misc]
    assert seen["accepted"] >= 3
    figure(f"{summary('policies with hostile values (TOML, JSON, YAML)', seen)}; {worst}")


def test_hostile_values_in_complaint_json_give_typed_errors_within_bounds(
    tmp_path: Path, figure: Callable[[str], None]
) -> None:
    seen: Counter[str] = Counter()
    worst = Worst()
    file = tmp_path / "complaint.json"

    @fuzz(150)
    @given(path=st.sampled_from(COMPLAINT_PATHS), literal=hostile_literals)
    def run(path: tuple[str, ...], literal: str) -> None:
        text = with_literal(json.dumps(replaced(COMPLAINT, path, PLACEHOLDER)), literal, "json")
        bounded(seen, worst, lambda: POLICY.decide(Complaint.model_validate_json(text), by="staff", now=NOW))
        file.write_text(text, encoding="utf-8")
        bounded(seen, worst, lambda: load_complaint(str(file)), typed=(CliInputError,))
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # Python's own JSON reader refuses it: the library never sees it
            return
        bounded(seen, worst, lambda: POLICY.decide(Complaint.model_validate(data), by="staff", now=NOW))

    run()
    figure(f"{summary('complaints with hostile values (JSON text, the CLI, Python objects)', seen)}; {worst}")
    assert seen["InvalidInputError"] > 0  # the library refused some
    assert seen["CliInputError"] > 0  # and so did the CLI


FILE_KINDS = [
    "regular",
    "fifo",
    "link-to-dev-zero",
    "link-to-fifo",
    "directory",
    "link-to-directory",
    "sparse",
    "dangling-link",
    "link-loop",
    "nul-in-name",
]


def make_file(kind: str, folder: Path, suffix: str, size: int, content: str) -> str:
    """A path of ``kind`` in ``folder``: a FIFO, a link to /dev/zero, a sparse file of ``size`` bytes..."""
    path = folder / f"input{suffix}"
    if kind == "regular":
        path.write_text(content, encoding="utf-8")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "link-to-fifo":
        os.mkfifo(folder / "pipe")
        path.symlink_to(folder / "pipe")
    elif kind == "directory":
        path.mkdir()
    elif kind == "link-to-directory":
        path.symlink_to(folder)
    elif kind == "sparse":
        with path.open("wb") as stream:
            stream.truncate(size)
    elif kind == "dangling-link":
        path.symlink_to(folder / "nowhere")
    elif kind == "link-loop":
        path.symlink_to(path)
    else:
        return str(folder / f"in\x00put{suffix}")
    return str(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
def test_files_that_are_not_regular_give_typed_errors_within_bounds(figure: Callable[[str], None]) -> None:
    seen: Counter[str] = Counter()
    worst = Worst()

    @fuzz(80)
    @given(
        kind=st.sampled_from(FILE_KINDS),
        suffix=st.sampled_from([".toml", ".json", ".yaml", ".yml", ".jsonl"]),
        size=st.sampled_from([MAX_INPUT_BYTES - 1, MAX_INPUT_BYTES, MAX_INPUT_BYTES + 1, 64 * MEGABYTE, 10 * 2**30]),
        literal=hostile_literals,
    )
    def run(kind: str, suffix: str, size: int, literal: str) -> None:
        content = with_literal(json.dumps(replaced(COMPLAINT, ("received_at",), PLACEHOLDER)), literal, "json")
        with tempfile.TemporaryDirectory() as folder:
            path = make_file(kind, Path(folder), suffix, size, content)
            bounded(seen, worst, lambda: Policy.from_file(path))
            bounded(seen, worst, lambda: load_complaint(path), typed=(CliInputError,))
            bounded(seen, worst, lambda: read_data_file(path, "test cases"), typed=(CliInputError,))
            if kind != "sparse" or size <= 64 * MEGABYTE:  # JSON Lines are streamed: time grows with the size
                bounded(seen, worst, lambda: list(JsonLinesSource(path)), typed=(CliInputError,))

    run()
    figure(f"{summary('paths of every kind (FIFO, /dev/zero, directory, sparse...) read as inputs', seen)}; {worst}")
    assert seen["CliInputError"] > 0  # what is not a readable file is refused, typed
    assert seen["PolicyError"] > 0


# -- journal rows: whatever is stored, reading it ends in a typed error or a result -----------------------------

ROW_COLUMNS = (
    "format",
    "number",
    "customer_id",
    "version",
    "kind",
    "state",
    "at",
    "data",
    "grant_amount",
    "grant_currency",
    "callback_due",
    "prev",
    "hash",
    "ledger",
    "ledger_at",
    "incident",
)
stored_values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    texts,
    st.sampled_from(['{"a":', "[" * 2000 + "]" * 2000, "2026-11-23T15:00:00.000000Z", "20261123-10442", "{}"]),
    st.binary(max_size=40),
)


def test_garbled_journal_rows_end_in_typed_errors(tmp_path: Path, figure: Callable[[str], None]) -> None:
    """Any value in any column of a stored row: every read ends in a typed error or a result (read-only too)."""
    seen: Counter[str] = Counter()
    path = tmp_path / "rows.sqlite3"
    with SQLiteJournal(path) as journal:
        case = Case.open(journal, POLICY, VALID, by="staff", now=NOW)
        case.listen(now=NOW)
        case.apologize(now=NOW)
        case.ask_preferred_solution(now=NOW)
        case.decide(now=NOW)
    pristine = path.read_bytes()

    @fuzz(60)
    @given(seq=st.integers(1, 5), column=st.sampled_from(ROW_COLUMNS), value=stored_values)
    def run(seq: int, column: str, value: object) -> None:
        path.write_bytes(pristine)
        with contextlib.closing(sqlite3.connect(path)) as connection:
            try:
                connection.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", (value, seq))
                connection.commit()
            except (sqlite3.Error, UnicodeEncodeError, OverflowError):
                return  # the database (or its driver) refused the value: nothing to read
        number = case.number
        with SQLiteJournal(path, read_only=True) as reader:  # an auditor's reads: the same, typed or a result
            tally(seen, lambda: reader.events(number))
            tally(seen, reader.verify)
            tally(seen, reader.cases)
            tally(seen, lambda: reader.granted(number, window=Window.day(), timezone="UTC", currency="USD", now=NOW))
        with SQLiteJournal(path) as journal:
            tally(seen, lambda: journal.events(number))
            tally(seen, journal.verify)
            tally(seen, journal.cases)
            tally(seen, lambda: journal.overdue_callbacks(NOW))
            tally(seen, lambda: journal.granted(number, window=Window.day(), timezone="UTC", currency="USD", now=NOW))
            tally(seen, lambda: Case.load(journal, POLICY, number).decide(now=NOW))

    run()
    figure(summary("reads of journal rows with a garbled column", seen))
    assert seen["JournalIntegrityError"]  # garbled rows are found out
