"""Accessibility and keyboard use of the front-desk console (docs/how-to/the-front-desk-console.md: "it works in any
browser, with the keyboard alone, with a screen reader"), checked against the page's promises and the basic WCAG
2.2 AA rules: labels, headings, the page's language, errors announced and tied to their field, the focus after a
submit, time elements a machine can read, and the keyboard alone.

Most checks read the served HTML (fast, no browser); the few about focus and keys drive Chromium (``browser``).
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import os
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ._server import Running, Served, serve

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_FORM_KEY = re.compile(r'name="key" value="([0-9a-f]{32})"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_GOOD_REASON = "a full refund is more than one night's delay calls for"
_CSS = Path(__file__).resolve().parents[1] / "src" / "recovery_rules" / "server" / "templates" / "console.css"


class _Page(HTMLParser):
    """What an accessibility check reads of a page: its language, ids, labels, controls, headings and times."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.ids: list[str] = []
        self.labelled: set[str] = set()
        self.controls: list[tuple[str, str | None, bool]] = []
        self.headings: list[int] = []
        self.times: list[dict[str, str | None]] = []
        self.attributes: dict[str, dict[str, str | None]] = {}
        self._in_label = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if (ident := found.get("id")) is not None:
            self.ids.append(ident)
            self.attributes[ident] = found
        if tag == "label":
            self._in_label += 1
            if (target := found.get("for")) is not None:
                self.labelled.add(target)
        if tag in {"input", "select", "textarea"} and found.get("type") != "hidden":
            self.controls.append((tag, found.get("id"), self._in_label > 0 or "aria-label" in found))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "time":
            self.times.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def _signed_in(served: Served, level: str) -> TestClient:
    client = TestClient(served.app, follow_redirects=False)
    assert client.post("/console/sign-in", data={"token": served.tokens[level]}).status_code == 303
    return client


def _csrf(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None
    return found.group(1)


def _open(client: TestClient, customer: str = "10442", amount: str = "3000.00") -> str:
    page = client.get("/console").text
    key = _FORM_KEY.search(page)
    assert key is not None
    data = {"csrf": _csrf(page), "key": key.group(1), "customer_id": customer, "customer_name": "Ada Guest"}
    data |= {"tier": "gold", "category": "room_not_ready", "kind": "refund", "amount": amount}
    response = client.post("/console/cases", data=data)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location.removeprefix("/console/cases/").split("?")[0]


def _step(client: TestClient, number: str, step: str, expect: int = 303, **fields: str) -> Any:
    page = client.get(f"/console/cases/{number}").text
    data = {"csrf": _csrf(page), **fields}
    if key := re.search(rf'name="key" value="([0-9a-f]{{32}}-{step})"', page):
        data.setdefault("key", key.group(1))
    response = client.post(f"/console/step/{step}/{number}", data=data)
    assert response.status_code == expect, (step, response.text)
    return response


def _escalated(clerk: TestClient, customer: str = "10442") -> str:
    number = _open(clerk, customer)
    for step in ("listen", "apologize"):
        _step(clerk, number, step)
    _step(clerk, number, "ask_preferred_solution", kind="refund", amount="3000.00")
    _step(clerk, number, "decide")
    _step(clerk, number, "escalate")
    return number


def _title(page: str) -> str:
    found = _TITLE.search(page)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.fixture
def served() -> Iterator[Served]:
    served = serve()
    try:
        yield served
    finally:
        served.journal.close()


def _pages_of_a_whole_case(served: Served) -> dict[str, str]:
    """Every page a case walked to its report shows, and the refused forms on the way."""
    clerk, manager = _signed_in(served, "staff"), _signed_in(served, "manager")
    anonymous = TestClient(served.app, follow_redirects=False)
    pages = {
        "sign-in": anonymous.get("/console/sign-in").text,
        "sign-in refused": anonymous.post("/console/sign-in", data={"token": "nobody"}).text,
        "home": clerk.get("/console").text,
        "find refused": clerk.get("/console/find?number=nonsense").text,
        "no such page": clerk.get("/console/nothing-here").text,
    }
    home = pages["home"]
    pages["open refused"] = clerk.post(
        "/console/cases", data={"csrf": _csrf(home), "customer_id": "", "category": "x", "amount": "1,50"}
    ).text
    number = _escalated(clerk)
    pages["opened again"] = clerk.get(f"/console/cases/{number}?done=again").text
    pages["home after opening"] = clerk.get("/console").text
    pages["escalated, the clerk's"] = clerk.get(f"/console/cases/{number}").text
    pages["escalated, the manager's"] = manager.get(f"/console/cases/{number}").text
    pages["queue"] = manager.get("/console/queue").text
    pages["counter-offer refused"] = _step(manager, number, "manager_approves", 422, amount="abc").text
    pages["denial refused"] = _step(manager, number, "manager_denies", 422, reason="No, that's our policy.").text
    _step(manager, number, "manager_denies", reason=_GOOD_REASON)
    _step(manager, number, "explain_denial")
    pages["alternatives"] = manager.get(f"/console/cases/{number}").text
    for step in ("decline_alternatives", "make_final_offer", "decline_final_offer"):
        _step(manager, number, step)
    pages["report"] = manager.get(f"/console/cases/{number}").text
    pages["policy"] = manager.get("/console/policy").text
    return pages


@pytest.mark.slow
# -- what holds: labels, headings, language ---------------------------------------------------------------------
def test_every_page_of_a_case_has_its_language_labelled_controls_unique_ids_and_headings_in_order(
    served: Served,
) -> None:
    """On every page a case shows (refused forms too): ``lang="en"``, every visible control named by a label, no id
    twice (a label or an ``aria-describedby`` would name the wrong field), one h1 and no heading level skipped,
    and every ``aria-describedby`` naming an element of the page."""
    for name, page in _pages_of_a_whole_case(served).items():
        parsed = _Page(page)
        assert parsed.lang == "en", name
        assert len(parsed.ids) == len(set(parsed.ids)), (name, sorted(parsed.ids))
        unlabelled = [
            (tag, ident) for tag, ident, wrapped in parsed.controls if not wrapped and ident not in parsed.labelled
        ]
        assert unlabelled == [], name
        headings = parsed.headings
        assert headings[0] == 1, (name, headings)
        assert headings.count(1) == 1, (name, headings)
        assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(headings)), (
            name,
            headings,
        )
        for ident, attributes in parsed.attributes.items():
            for described in (attributes.get("aria-describedby") or "").split():
                assert described in parsed.ids, (name, ident, described)


@pytest.mark.slow
def test_an_overdue_callback_and_a_denial_are_said_in_words_not_only_in_colour() -> None:
    """Colour is never the only signal: an overdue callback says "overdue" in the queue and on the case page, and a
    denied case says its outcome in words."""
    now = [dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)]
    served = serve(clock=lambda: now[0])
    try:
        clerk, manager = _signed_in(served, "staff"), _signed_in(served, "manager")
        number = _escalated(clerk)
        now[0] += dt.timedelta(hours=5)  # the callback promised by 15:00 EST (20:00 UTC) is late
        queue = manager.get("/console/queue").text
        assert re.search(r'class="card overdue">.*?<strong>overdue</strong>', queue, re.S)
        case = manager.get(f"/console/cases/{number}").text
        assert re.search(r'class="callback overdue">.*?<strong>overdue</strong>', case, re.S)
        _step(manager, number, "manager_denies", reason=_GOOD_REASON)
        denied = manager.get(f"/console/cases/{number}").text
        assert '<dt>State</dt><dd class="state">denied</dd>' in denied
    finally:
        served.journal.close()


# -- what breaks -------------------------------------------------------------------------------------------------
def test_every_time_element_carries_a_machine_readable_datetime(served: Served) -> None:
    clerk = _signed_in(served, "staff")
    number = _escalated(clerk)
    for page in (clerk.get(f"/console/cases/{number}").text, clerk.get(f"/console/cases/{number}?done=again").text):
        times = _Page(page).times
        assert len(times) >= 6
        for attributes in times:
            moment = dt.datetime.fromisoformat(attributes.get("datetime") or "not given")
            assert moment.utcoffset() is not None


def test_a_policy_check_with_problems_is_announced_as_a_refused_form(served: Served) -> None:
    """ "A refused form says so as the sign-in and the steps do: ... the first wrong field has the focus, and the
    page's title begins with "Error"." A checked policy that does not load is answered 422, its problems tied to the
    policy's field (``aria-invalid``, ``aria-describedby``): the title and the focus say so too."""
    manager = _signed_in(served, "manager")
    page = manager.get("/console/policy").text
    refused = manager.post(
        "/console/policy", data={"csrf": _csrf(page), "format": "toml", "policy": "name = 1\n", "action": "check"}
    )
    assert refused.status_code == 422
    assert re.search(r'<textarea id="policy"[^>]*aria-invalid="true"', refused.text)
    assert _title(refused.text).startswith("Error")
    assert re.search(r'<textarea id="policy"[^>]*\sautofocus', refused.text)


@pytest.mark.slow
def test_a_note_refused_as_too_long_is_shown_at_the_notes_field(served: Served) -> None:
    """ "Errors are shown in the page, by the field that was wrong with what to do": a note over 10,000 characters
    is refused at the Notes field, which has the focus and keeps what was typed."""
    clerk = _signed_in(served, "staff")
    number = _open(clerk)
    long_note = "She waited an hour. " * 600
    refused = _step(clerk, number, "listen", 422, notes=long_note).text
    field = re.search(r'<input id="notes-listen"[^>]*>', refused)
    assert field is not None
    assert 'aria-invalid="true"' in field.group()
    described = re.search(r'aria-describedby="([^"]+)"', field.group())
    assert described is not None
    said = re.search(rf'id="{described.group(1)}"[^>]*>([^<]*)<', refused)
    assert said is not None
    assert "the most is 10,000" in said.group(1)
    assert " autofocus" in field.group()
    assert html.escape(long_note, quote=True) in field.group()


@pytest.mark.slow
def test_a_report_refused_as_too_long_is_shown_at_its_field(served: Served) -> None:
    clerk, manager = _signed_in(served, "staff"), _signed_in(served, "manager")
    number = _escalated(clerk)
    _step(manager, number, "manager_denies", reason=_GOOD_REASON)
    for step in ("explain_denial", "decline_alternatives", "make_final_offer", "decline_final_offer"):
        _step(manager, number, step)
    refused = _step(manager, number, "write_report", 422, summary="Declined every offer. " * 500).text
    field = re.search(r'<textarea id="summary"[^>]*>', refused)
    assert field is not None
    assert 'aria-invalid="true"' in field.group()
    assert " autofocus" in field.group()
    described = re.search(r'aria-describedby="([^"]+)"', field.group())
    assert described is not None
    said = re.search(rf'id="{described.group(1)}"[^>]*>([^<]*)<', refused)
    assert said is not None
    assert "the most is 10,000" in said.group(1)


def test_a_refused_counter_offer_keeps_the_notes_typed(served: Served) -> None:
    clerk, manager = _signed_in(served, "staff"), _signed_in(served, "manager")
    number = _escalated(clerk)
    refused = _step(manager, number, "manager_approves", 422, amount="1,50", notes="half now, half at checkout").text
    assert 'id="approve-amount" name="amount" inputmode="decimal" value="1,50"' in refused  # the amount is kept
    assert re.search(r'<input id="notes-manager_approves" name="notes" value="half now, half at checkout"', refused)


def test_a_refused_find_keeps_the_number_typed(served: Served) -> None:
    clerk = _signed_in(served, "staff")
    refused = clerk.get("/console/find?number=2026-1123-10442").text
    field = re.search(r'<input id="number"[^>]*>', refused)
    assert field is not None
    assert 'aria-invalid="true"' in field.group()
    assert 'value="2026-1123-10442"' in field.group()


def test_a_trial_decided_on_the_policy_page_has_the_focus_on_its_outcome(served: Served) -> None:
    manager = _signed_in(served, "manager")
    page = manager.get("/console/policy").text
    text = html.unescape(re.search(r'<textarea id="policy"[^>]*>(.*?)</textarea>', page, re.S).group(1))  # type: ignore[union-attr]
    data = {"csrf": _csrf(page), "format": "json", "policy": text, "action": "try"}
    data |= {"level": "staff", "tier": "gold", "category": "room_not_ready", "kind": "refund", "amount": "3000"}
    decided = manager.post("/console/policy", data=data)
    assert decided.status_code == 200
    outcome = re.search(r"<[a-z]+[^>]*\sautofocus[^>]*>", decided.text)
    assert outcome is not None
    assert "Outcome: <strong>escalated</strong>" in decided.text[outcome.start() : outcome.start() + 400]


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        scaled = value / 255
        return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_focus_outline_contrasts_three_to_one_with_what_surrounds_it() -> None:
    css = _CSS.read_text(encoding="utf-8")
    outline = re.search(r":focus-visible \{ outline: 3px solid (#[0-9a-f]{6})", css)
    background = re.search(r"--bg: (#[0-9a-f]{6})", css)
    assert outline is not None
    assert background is not None
    for around in ("#ffffff", background.group(1)):
        assert _contrast(outline.group(1), around) >= 3, around


# -- the keyboard, in a browser ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Served, str, Any]]:
    pytest.importorskip("uvicorn", reason="the console needs the server extra, which dev installs")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")
    executable = shutil.which("chromium-headless-shell")
    if executable is None:
        why = "chromium-headless-shell is not installed (apt-get install -y chromium-headless-shell)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {why}", pytrace=False)
        pytest.skip(why)
    served = serve(reload_on_sighup=False)
    try:
        with Running(served.app) as url, sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable)
            try:
                yield served, url, browser
            finally:
                browser.close()
    finally:
        served.journal.close()


def _browser_signed_in(site: tuple[Served, str, Any], level: str) -> Any:
    served, url, browser = site
    page = browser.new_context(viewport={"width": 1000, "height": 900}, base_url=url).new_page()
    page.set_default_timeout(5000)
    page.goto("/console/sign-in")
    page.get_by_label("Your token").fill(served.tokens[level])
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    return page


@pytest.mark.browser
@pytest.mark.slow
def test_the_tab_key_reaches_every_control_of_the_open_form_in_order_and_leaves_the_page(
    site: tuple[Served, str, Any],
) -> None:
    """With the keyboard alone: from the top, Tab goes to the skip link, the header, then every field of the open
    form in the order it reads and its button, then the Find form, and on out of the page (no trap)."""
    page = _browser_signed_in(site, "staff")
    reached: list[str] = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        if page.evaluate("document.activeElement === document.body"):
            break
    fields = ["customer_id", "customer_name", "tier", "category", "kind", "amount", "description", "Open the case"]
    assert reached[:5] == ["Skip to the page", "Front desk", "New case", "Policy", "Sign out"]
    assert reached[5 : 5 + len(fields)] == fields
    assert reached[5 + len(fields) : 7 + len(fields)] == ["number", "Open"]
    assert page.evaluate("document.activeElement === document.body")
    page.context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_enter_in_a_trial_field_decides_the_complaint_typed(site: tuple[Served, str, Any]) -> None:
    page = _browser_signed_in(site, "manager")
    page.goto("/console/policy")
    page.get_by_label("Category").fill("room_not_ready")
    page.get_by_label("Amount", exact=True).fill("3000")
    with page.expect_navigation():
        page.get_by_label("Amount", exact=True).press("Enter")
    try:
        assert "Outcome: escalated" in page.locator(".outcome").inner_text(timeout=1000)
    finally:
        page.context.close()
