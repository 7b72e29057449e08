"""The documented limits, tried with an attacker's eye: each is enforced before the expensive work, with a library
error, and no input of bounded size makes the work grow with something the caller does not control.

Times are never asserted: the work is counted instead (calls of the parser or of :mod:`difflib`)."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import (
    Complaint,
    ComplaintNumber,
    Draft,
    InvalidInputError,
    MemoryJournal,
    Policy,
    PolicyError,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cli"
NOW = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.UTC)


# -- Policy.from_text: the length limit --------------------------------------------------------------------


def test_a_policy_text_over_the_limit_is_refused_without_being_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """policy-file.md: a policy larger than 5 MB is refused. The refusal is a problem with no place in the text,
    so nothing needs to read the text: placing it (``SourceMap``) parsed all of it, seconds of work for a text of
    20 MB in YAML or TOML, and more for a longer one."""
    yaml = pytest.importorskip("yaml")
    composed: list[int] = []
    real_compose = yaml.compose

    def counted_compose(*args: Any, **kwargs: Any) -> Any:
        composed.append(1)
        return real_compose(*args, **kwargs)

    monkeypatch.setattr(yaml, "compose", counted_compose)
    # A syntax error on the first line: PyYAML stops there, so this test stays fast whether or not it is parsed.
    text = "a: b: c\n#" + "x" * 5_000_000 + "\n"
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(text, format="yaml")
    assert [problem.message for problem in raised.value.problems] == ["is longer than 5,000,000 characters"]
    assert composed == []


# -- Journal.append: event data nested deeper than the limit ---------------------------------------------------


def _nested(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    inner = root
    for _ in range(depth):
        deeper: dict[str, Any] = {}
        inner["a"] = deeper
        inner = deeper
    return root


def test_event_data_nested_past_the_limit_is_refused_at_data_and_nothing_is_written() -> None:
    """The journal refuses data nested more than 32 levels deep, located at ``data``."""
    journal = MemoryJournal(clock=lambda: NOW)
    try:
        draft = Draft(kind="opened", state="opened", actor="staff", at=NOW, data={"notes": _nested(100)})
        with pytest.raises(InvalidInputError, match="nested more than 32 levels deep"):
            journal.append(ComplaintNumber.parse("20261123-10442"), draft, expected_version=0, key="k-1", request={})
        assert journal.verify().count == 0
    finally:
        journal.close()


def test_event_data_nested_thousands_deep_is_an_input_error_not_a_recursion_error() -> None:
    """errors.md: a dict nested 10,000 deep is refused like any other wrong value, with an ``InvalidInputError``;
    ``Draft.data`` nested 100 deep is; 5,000 deep raised ``RecursionError`` from ``key_ids``."""
    journal = MemoryJournal(clock=lambda: NOW)
    try:
        draft = Draft(kind="opened", state="opened", actor="staff", at=NOW, data={"notes": _nested(5_000)})
        with pytest.raises(InvalidInputError, match="nested more than 32 levels deep"):
            journal.append(ComplaintNumber.parse("20261123-10442"), draft, expected_version=0, key="k-1", request={})
        assert journal.verify().count == 0
    finally:
        journal.close()


# -- decide: a category the policy does not list ---------------------------------------------------------------


def _policy_of_categories(count: int) -> Policy:
    """The Harbour Hotel's policy (three categories) with ``count`` categories in all: long names alike."""
    import tomllib  # noqa: PLC0415 - only here

    document = tomllib.loads((EXAMPLES / "policy.toml").read_text(encoding="utf-8"))
    listed = list(document["categories"])
    document["categories"] = listed + [f"stay_issue_{index:04d}_{'x' * 40}" for index in range(count - len(listed))]
    return Policy.from_text(json.dumps(document), format="json")


def _comparisons_deciding_unlisted(policy: Policy, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many names difflib compares while ``policy`` decides five complaints of categories it does not list."""
    compared: list[str] = []

    class Counted(difflib.SequenceMatcher):  # type: ignore[type-arg]  # str and bytes alike
        def set_seq1(self, a: Any) -> None:
            compared.append(a)
            super().set_seq1(a)

    monkeypatch.setattr(difflib, "SequenceMatcher", Counted)
    sample = json.loads((EXAMPLES / "complaint.json").read_text(encoding="utf-8"))
    for index in range(5):  # categories never seen: no warning kept from an earlier decision
        category = f"stay_issue_{9000 + index}_{'y' * 40}"
        policy.decide(Complaint.model_validate({**sample, "category": category}), by="front_desk", now=NOW)
    monkeypatch.undo()
    return len(compared)


def test_deciding_an_unlisted_category_does_not_grow_with_the_number_of_categories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """guarantees.md section 4: "A decision then does a few dictionary look-ups, binary searches and a short walk
    through the catalog, whatever the policy's size." The ``category.listed`` warning looked for the closest of
    all 1,000 categories on every decision of a category not seen before: 1,000 comparisons of up to 64
    characters each, half a second per decision when the names are alike."""
    some = _comparisons_deciding_unlisted(_policy_of_categories(300), monkeypatch)
    most = _comparisons_deciding_unlisted(_policy_of_categories(1_000), monkeypatch)  # the most a policy may list
    assert most <= some  # the same work for a policy of 300 categories and one of 1,000


# -- the service: a Content-Length no integer can hold -----------------------------------------------------------


@pytest.mark.slow  # building the app: FastAPI builds its routes' state at the first request
def test_a_content_length_of_thousands_of_digits_is_refused_as_too_large() -> None:
    """http-api.md: a body larger than the service reads is a 413 ``body-too-large``, "a ``Content-Length`` over it
    is refused without the route running". A length of 5,000 nines is over it; ``int()`` refuses to read it
    (Python's 4,300-digit limit) and the service answered 500 ``internal``. uvicorn answers such a request itself
    (400), but the app is documented to be embedded in any ASGI server (``create_app``)."""
    from fastapi.testclient import TestClient  # noqa: PLC0415 - the server extra, only here

    from ._server import serve  # noqa: PLC0415 - it skips the test without the server extra

    served = serve()
    try:
        client = TestClient(served.app, raise_server_exceptions=False)
        headers = served.auth(**{"Content-Type": "application/json", "Content-Length": "9" * 5_000})
        answer = client.post("/v1/decisions", content=b"{}", headers=headers)
        assert answer.status_code == 413
        assert answer.json()["type"].endswith("#body-too-large")
    finally:
        served.journal.close()


# -- a policy of thousands of unknown fields ---------------------------------------------------------------------


@pytest.mark.slow
def test_the_search_for_close_field_names_is_bounded_however_many_fields_are_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``POST /v1/policy/check`` (http-api.md) and ``recovery-rules check`` read a policy of up to 5,000,000 bytes
    and list every problem. Each unknown field is "not a field here", with the closest field name when one is
    close; the search is meant to stop after 100,000 comparisons ("a file of thousands of misspelt names ... is
    refused as quickly as one with a single typo", ``Suggestions``), but a fresh search per field, made twice,
    compared every unknown name with every field: 400,000 unknown keys (4.7 MB) took about 180 s, the service's
    worker thread held all that time."""
    compared: list[str] = []

    class Counted(difflib.SequenceMatcher):  # type: ignore[type-arg]  # str and bytes alike
        def set_seq1(self, a: Any) -> None:
            if a:  # a name compared, not the empty one every SequenceMatcher starts with
                compared.append(a)
            super().set_seq1(a)

    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    head, levels = text.split("[[levels]]", 1)
    unknown = "".join(f"unknown_{index} = 1\n" for index in range(6_000))
    monkeypatch.setattr(difflib, "SequenceMatcher", Counted)
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(head + unknown + "[[levels]]" + levels)
    monkeypatch.undo()
    assert len(raised.value.problems) == 6_000
    assert len(compared) <= 2 * 100_000  # the bound of one search, for each of the two validations of a policy
