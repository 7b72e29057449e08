"""Promises of the console's policy page (docs/how-to/the-front-desk-console.md, "Check a policy")."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from fastapi.testclient import TestClient

from recovery_rules import Policy, presets, proof

from ._server import Served, serve, serving

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_POLICY_FIELD = re.compile(r'<textarea id="policy" name="policy"[^>]*>(.*?)</textarea>', re.DOTALL)
_FORMAT = re.compile(r"<option selected>(\w+)</option>")
_FORMATS: dict[str, Literal["toml", "json", "yaml"]] = {"toml": "toml", "json": "json", "yaml": "yaml"}


@pytest.fixture(scope="module")
def unchanged() -> Iterator[Served]:
    """One app for tests that only check policies on the page: nothing is recorded."""
    yield from serving()


def _signed_in(served: Served, level: str = "manager") -> tuple[TestClient, str]:
    """A browser of its own, signed in at ``level``, and the policy page's form token."""
    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
    found = _CSRF.search(client.get("/console/policy").text)
    assert found is not None
    return client, found.group(1)


def _ritz_with_a_wrong_limit() -> dict[str, Any]:
    data = presets.ritz_carlton().model_dump(mode="json", exclude_defaults=True)
    data["levels"][1]["limit"] = "abc"
    return data


@pytest.mark.parametrize(
    ("format", "text"),
    [
        ("json", json.dumps(_ritz_with_a_wrong_limit(), indent=2)),
        ("yaml", yaml.safe_dump(_ritz_with_a_wrong_limit(), sort_keys=False)),
    ],
)
def test_a_problem_of_a_json_or_yaml_policy_is_listed_at_its_line(unchanged: Served, format: str, text: str) -> None:
    """The page: "every problem is listed by its line and its place in the policy" for a policy in any of its
    formats, not only TOML: the line is the one that holds the wrong value."""
    client, csrf = _signed_in(unchanged)
    checked = client.post("/console/policy", data={"csrf": csrf, "format": format, "policy": text, "action": "check"})
    assert checked.status_code == 422
    found = re.search(r"<strong>line (\d+)</strong>: <code>levels\[1\]\.limit</code>", checked.text)
    assert found is not None, checked.text
    assert "abc" in text.splitlines()[int(found.group(1)) - 1]


@pytest.mark.parametrize("suffix", ["yml", "json", "toml"])
def test_the_page_holds_a_policy_file_of_each_format_at_the_revision_served(tmp_path: Path, suffix: str) -> None:
    """The page "holds the served policy's file": a YAML (``.yml``), JSON or TOML file is shown as written, in its
    format, and checking it unchanged names the revision being served."""
    data = presets.ritz_carlton().model_dump(mode="json", exclude_defaults=True)
    written = {
        "yml": yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        "json": json.dumps(data),
        "toml": presets.path("ritz-carlton").read_text(encoding="utf-8"),
    }[suffix]
    path = tmp_path / f"policy.{suffix}"
    path.write_text(written, encoding="utf-8")
    served = serve(Policy.from_file(path), policy_source=str(path))
    try:
        client, csrf = _signed_in(served)
        page = client.get("/console/policy").text
        shown, form = _POLICY_FIELD.search(page), _FORMAT.search(page)
        assert shown is not None
        assert form is not None
        assert html.unescape(shown.group(1)) == written
        assert form.group(1) == ("yaml" if suffix == "yml" else suffix)
        data_sent = {"csrf": csrf, "format": form.group(1), "policy": written, "action": "check"}
        checked = client.post("/console/policy", data=data_sent)
        assert checked.status_code == 200
        assert f"revision <code>{served.app.state.service.policy.revision[:12]}</code>)." in checked.text
    finally:
        served.journal.close()


def test_a_policy_well_under_5_mb_with_text_outside_ascii_is_checked(unchanged: Served) -> None:
    """The page: "every other form up to 64 KB a field (the pasted policy: 5 MB)", as ``/v1/policy/check`` takes
    one. A browser sends the form URL-encoded, each byte outside ASCII as three (``%E6``): a policy of 1.8 MB with
    Japanese wording is sent as 5.4 MB, and refused as "Field exceeded maximum size of 4882KB", the text lost."""
    client, csrf = _signed_in(unchanged)
    text = presets.path("ritz-carlton").read_text(encoding="utf-8") + "# " + "日本語" * 200_000 + "\n"
    assert len(text.encode("utf-8")) < 2_000_000
    checked = client.post("/console/policy", data={"csrf": csrf, "format": "toml", "policy": text, "action": "check"})
    assert checked.status_code == 200, checked.text
    assert "It loads" in checked.text


def _ritz_with_categories(count: int) -> str:
    """The Ritz-Carlton preset with ``count`` more categories: 168 slices each, some 300 regions a slice."""
    text = presets.path("ritz-carlton").read_text(encoding="utf-8")
    more = "".join(f', "extra_{index}"' for index in range(count))
    changed, found = re.subn(r"^(categories = \[.*)\]$", lambda line: line[1] + more + "]", text, flags=re.MULTILINE)
    assert found == 1
    return changed


@pytest.mark.slow
def test_a_policy_of_too_many_regions_is_refused_before_its_slices_are_all_made(
    unchanged: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page: "A larger policy is refused before any proof runs, in a fraction of a second (the regions are
    counted only up to the bound)". The preset with 994 more categories has 144,144 slices (fewer than the bound,
    so they are made) of some 300 regions each: the bound is passed within the first 1,500 slices, but all
    144,144 are made first: 5 seconds on a busy 2-core machine. Counted here by the slices made, not by the clock."""
    made = [0]
    thresholds = proof._Bounds.thresholds

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        made[0] += 1  # one call per slice made
        return thresholds(self, *args, **kwargs)

    monkeypatch.setattr(proof._Bounds, "thresholds", counted)
    client, csrf = _signed_in(unchanged)
    text = _ritz_with_categories(994)
    refused = client.post("/console/policy", data={"csrf": csrf, "format": "toml", "policy": text, "action": "prove"})
    assert refused.status_code == 422
    assert "Not proved here: this policy has more than 400,000 regions" in html.unescape(refused.text)
    assert made[0] < 10_000, f"{made[0]:,} slices were made before the refusal"


def test_a_trial_with_every_field_wrong_says_each_at_its_field(unchanged: Served) -> None:
    """The page: "Try a complaint on the policy page shows each problem at its field too (Decided by, Remedy,
    Amount, Granted before, Decided at), named by its label under the button", as the open form does. With a
    wrong level, amount, amount granted and moment, only "Decided at" is said: each of the others is found only
    once the one before it is put right, one press of Decide at a time."""
    client, csrf = _signed_in(unchanged)
    text = json.dumps(presets.ritz_carlton().model_dump(mode="json", exclude_defaults=True))
    trial = {
        "level": "bogus",
        "tier": "gold",
        "category": "noise",
        "kind": "refund",
        "amount": "ten",
        "granted": "xyz",
        "now": "tomorrow",
    }
    data = {"csrf": csrf, "format": "json", "policy": text, "action": "try", **trial}
    refused = client.post("/console/policy", data=data)
    assert refused.status_code == 422
    said = set(re.findall(r'<span id="(\w+)-error" class="field-error">', refused.text))
    assert said == {"level", "amount", "granted", "now"}
    assert "Not decided: check Decided by, Amount, Granted before, Decided at." in refused.text
