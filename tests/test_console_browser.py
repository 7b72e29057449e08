"""The console in a real browser: Playwright driving Debian's chromium-headless-shell against uvicorn on loopback.

One whole seed-003 case is walked the way the front desk and a manager would: open, listen, apologize, ask the
preferred solution, decide (an escalation), then the manager denies (a forbidden reason first, refused and shown
back, then a good one), explains with two alternatives, makes the final offer and writes the report. The pages
are screenshots (into docs/how-to/console/ for docs/how-to/the-front-desk-console.md when
``RECOVERY_RULES_SCREENSHOTS`` is set, as ``make screenshots`` does; into a temporary folder otherwise, so a test run
leaves the tree as it was); a phone-sized viewport has no horizontal scroll. Without the browser the tests skip,
saying how to install it; under CI (``CI`` set) that is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._server import Running, Served, serve

uvicorn = pytest.importorskip("uvicorn", reason="the console needs the server extra, which dev installs")
sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright, which dev installs")

pytestmark = pytest.mark.browser

BROWSER: str | None = shutil.which("chromium-headless-shell")
DOCS_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "console"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: the docs' folder when asked for (``make screenshots``), else a temporary one."""
    return DOCS_SHOTS if os.environ.get("RECOVERY_RULES_SCREENSHOTS") else tmp_path_factory.mktemp("console-shots")


PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1000, "height": 900}

if BROWSER is None:
    _why = "chromium-headless-shell is not installed (apt-get install -y chromium-headless-shell)"
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI: {_why}", pytrace=False)
    pytest.skip(_why, allow_module_level=True)


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Served, str, Any]]:
    served = serve(reload_on_sighup=False)
    with Running(served.app) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER)
        try:
            yield served, url, browser
        finally:
            browser.close()


def _signed_in(browser: Any, url: str, token: str, viewport: dict[str, int] = DESKTOP) -> Any:
    page = browser.new_context(viewport=viewport, base_url=url).new_page()
    page.set_default_timeout(5000)
    page.goto("/console")
    assert page.url.endswith("/console/sign-in")
    page.get_by_label("Your token").fill(token)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    return page


def _shot(page: Any, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert (folder / f"{name}.png").stat().st_size > 1000  # a picture of a page, not an empty file


def _press(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_a_whole_seed_003_case_in_the_browser(site: tuple[Served, str, Any], shots: Path) -> None:
    served, url, browser = site
    clerk = _signed_in(browser, url, served.tokens["staff"])
    clerk.get_by_label("Customer number").fill("10442")
    clerk.get_by_label("Customer name").fill("Ada Guest")
    clerk.get_by_label("Tier").select_option("gold")
    clerk.get_by_label("What it is about").fill("room_not_ready")
    clerk.get_by_label("They ask for").select_option("refund")
    clerk.get_by_label("Amount (USD)").fill("3000.00")
    _shot(clerk, shots, "1-open-a-case")
    _press(clerk, "Open the case")
    assert clerk.get_by_role("status").inner_text() == "Recorded: Case opened."
    _shot(clerk, shots, "2-words-to-say")
    _press(clerk, "Listened to the whole grievance")
    _press(clerk, "Apologized")
    _press(clerk, "Record the preferred solution")
    _press(clerk, "Decide")
    assert clerk.get_by_role("heading", name="Plan B").is_visible()
    _press(clerk, "Escalate and promise the callback")
    assert clerk.get_by_role("heading", name="Callback promised").is_visible()
    assert "EST" in clerk.locator(".callback").inner_text()  # the policy's time zone, America/New_York
    assert clerk.get_by_role("button", name="Deny, with the reason").count() == 0
    _shot(clerk, shots, "3-escalated")
    number = clerk.locator("h1 .number").inner_text()

    manager = _signed_in(browser, url, served.tokens["manager"])
    manager.get_by_role("link", name="Queue").click()
    manager.get_by_role("link", name=f"Case {number}").wait_for()
    _shot(manager, shots, "4-queue")
    manager.get_by_role("link", name=f"Case {number}").click()
    reason = manager.get_by_label("The reason the customer will hear")
    reason.fill("No, that's our policy.")
    _press(manager, "Deny, with the reason")
    assert "CAN do" in manager.locator("#reason-error").inner_text()
    assert manager.get_by_label("The reason the customer will hear").input_value() == "No, that's our policy."
    _shot(manager, shots, "5-reason-refused")
    manager.get_by_label("The reason the customer will hear").fill("a full refund is more than one night calls for")
    _press(manager, "Deny, with the reason")
    _press(manager, "Explain the denial and offer two alternatives")
    assert manager.get_by_role("radio").count() == 2
    _shot(manager, shots, "6-two-alternatives")
    _press(manager, "The customer declines both alternatives")
    _press(manager, "Make the final offer")
    assert manager.get_by_role("heading", name="The final offer").is_visible()
    _press(manager, "The customer declines the final offer")
    manager.get_by_label("The report").fill("Declined both alternatives and the final offer; call her today.")
    _press(manager, "Write the report to a manager")
    assert manager.locator(".state").inner_text() == "reported"
    _shot(manager, shots, "7-reported")
    manager.context.close()
    clerk.context.close()


def test_a_phone_sized_screen_has_no_horizontal_scroll(site: tuple[Served, str, Any], shots: Path) -> None:
    served, url, browser = site
    page = _signed_in(browser, url, served.tokens["manager"], viewport=PHONE)
    pages = ["/console", "/console/queue", "/console/policy"]
    numbers = [str(case.number) for case in served.journal.cases()]
    pages += [f"/console/cases/{number}" for number in numbers[:1]]
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    if numbers:
        _shot(page, shots, "8-phone")
    page.context.close()


def test_the_keyboard_reaches_the_page_first_with_a_visible_focus(site: tuple[Served, str, Any]) -> None:
    _, url, browser = site
    page = browser.new_context(viewport=DESKTOP, base_url=url).new_page()
    page.goto("/console/sign-in")
    page.locator("body").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == ["Skip to the page", "solid"]
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"
    page.context.close()


def test_the_api_page_works_without_internet_access(site: tuple[Served, str, Any]) -> None:
    """``/v1/docs`` loads Swagger UI from the service itself: with every other host blocked, it lists the routes."""
    _, url, browser = site
    context = browser.new_context(viewport=DESKTOP, base_url=url)
    outside: list[str] = []

    def elsewhere(route: Any) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(lambda address: not address.startswith(url), elsewhere)
    page = context.new_page()
    page.goto("/v1/docs")
    page.locator(".opblock-summary-path", has_text="/v1/decisions").first.wait_for(timeout=15_000)
    assert page.locator(".opblock-summary-path").count() >= 10
    assert outside == []
    context.close()


def _open_the_form(page: Any, customer: str, amount: str) -> None:
    page.goto("/console")
    page.get_by_label("Customer number").fill(customer)
    page.get_by_label("What it is about").fill("noise")
    page.get_by_label("Amount (USD)").fill(amount)


_TYPED = {
    "Customer number": "61001",
    "Customer name": "Ada Guest",
    "What it is about": "noise",
    "Amount (USD)": "20.00",
    "In their words": "A party next door until 3 am",
}


def _typed(page: Any) -> list[str]:
    return [page.get_by_label(label).input_value() for label in _TYPED]


def test_back_after_opening_a_case_shows_what_was_typed_and_the_button_opens_nothing_twice(
    site: tuple[Served, str, Any],
) -> None:
    """Back after "Open the case": the form shows what was typed but the name (the browser fills it in again) and
    says which case it opened; pressing the button again goes to that case, opening nothing (the page is a new
    form, under a new key, but the same details from this browser minutes later are the same complaint); the case
    page says so and offers a second case all the same."""
    served, url, browser = site
    clerk = _signed_in(browser, url, served.tokens["staff"])
    for label, value in _TYPED.items():
        clerk.get_by_label(label).fill(value)
    _press(clerk, "Open the case")
    opened_at = clerk.url.split("?")[0]
    assert "/console/cases/20261123-61001" in opened_at
    opened = len(served.journal.cases())
    clerk.go_back()
    assert clerk.url == url + "/console"
    # Everything but the customer's name, which the browser does not keep (autocomplete="off" on a shared desk).
    assert _typed(clerk) == [value if label != "Customer name" else "" for label, value in _TYPED.items()]
    reminder = clerk.locator("#last-opened")
    assert "You opened case 20261123-61001" in reminder.inner_text()
    _press(clerk, "Open the case")
    assert clerk.url.split("?")[0] == opened_at
    assert "Nothing new was opened" in clerk.get_by_role("status").inner_text()
    assert len(served.journal.cases()) == opened
    _press(clerk, "Open a second case")
    assert clerk.url.split("?")[0] == url + "/console/cases/20261123-61001/2"
    assert len(served.journal.cases()) == opened + 1
    clerk.context.close()


def test_after_sign_out_back_shows_nothing_typed_to_anyone(site: tuple[Served, str, Any]) -> None:
    """Signed out, Back goes to the sign-in page, never to the form with what was typed; the next employee
    signed in on the same tab, going Back to the form, finds it empty and no reminder of the case."""
    served, url, browser = site
    clerk = _signed_in(browser, url, served.tokens["staff"])
    for label, value in _TYPED.items():
        clerk.get_by_label(label).fill(value.replace("61001", "61003"))
    _press(clerk, "Open the case")
    _press(clerk, "Sign out")
    assert clerk.url == url + "/console/sign-in"
    clerk.get_by_label("Your token").fill(served.tokens["staff-2"])
    clerk.keyboard.press("Enter")
    clerk.wait_for_url("**/console")
    clerk.go_back()  # the sign-in page
    clerk.go_back()  # the case page: any employee may read a case
    clerk.go_back()  # the first employee's form
    assert clerk.url == url + "/console"
    assert _typed(clerk) == ["", "", "", "", ""]
    assert clerk.locator("#last-opened").count() == 0
    assert "61003" not in clerk.content().replace("20261123-61003", "")
    clerk.context.close()
    gone = _signed_in(browser, url, served.tokens["staff"])
    for label, value in _TYPED.items():
        gone.get_by_label(label).fill(value.replace("61001", "61004"))
    _press(gone, "Open the case")
    _press(gone, "Sign out")
    gone.go_back()
    gone.go_back()
    assert gone.url == url + "/console/sign-in"
    assert "61004" not in gone.content()
    gone.context.close()


def test_a_refused_open_form_is_announced_and_its_address_opened_again_is_the_form(
    site: tuple[Served, str, Any],
) -> None:
    """The form refused: the title says so, an alert sums it up and the first wrong field has the focus. The
    address bar then reads /console/cases, the form's address: opened again, it is the form, not a 405 in JSON."""
    served, url, browser = site
    clerk = _signed_in(browser, url, served.tokens["staff"])
    _open_the_form(clerk, "61002", "abc")
    _press(clerk, "Open the case")
    assert clerk.url == url + "/console/cases"
    assert clerk.title().startswith("Error: ")
    assert "Amount (USD): must be an amount such as 250.00" in clerk.get_by_role("alert").inner_text()
    assert clerk.evaluate("document.activeElement.id") == "amount"
    answer = clerk.goto(clerk.url)
    assert answer is not None
    assert answer.headers["content-type"].startswith("text/html")
    assert clerk.url == url + "/console"
    assert clerk.get_by_role("heading", name="Open a case").is_visible()
    clerk.context.close()
