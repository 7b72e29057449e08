"""Promises of the console's sessions (docs/how-to/the-front-desk-console.md, "What keeps it safe"; docs/cli/serve.md;
docs/how-to/run-the-decision-service.md, "Tokens"), tried as staff use a browser at a shared desk: a session that
ends while a form is filled in, a shift change on one browser, a level changed in the token file while signed in, a
tab loaded under an earlier session, a token taken out of the token file and put back, a lifetime shortened."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recovery_rules import CaseView, ComplaintNumber, MemoryJournal, presets
from recovery_rules.server import Tokens, create_app, mint_token, token_entry

from ._server import NOW, Running, Served, serve

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_FORM_KEY = re.compile(r'name="key" value="([0-9a-f]{32})"')
_FORM_TAG = re.compile(r'action="/console/cases"[^>]*>\s*<input type="hidden" name="(desk-[0-9a-f]+)"')
_SIGNED_IN_AS = re.compile(r"<span>(e-[^<]*)</span>")
_ALERT = re.compile(r'role="alert"[^>]*>(.*?)</div>', re.S)
_COOKIE = "rr_console"
_KEY = bytes(range(32))


def _browser(app: object) -> TestClient:
    """A browser of its own (its own cookies), signed in as nobody yet."""
    return TestClient(app, follow_redirects=False)  # type: ignore[arg-type]  # a FastAPI app


def _sign_in(client: TestClient, token: str) -> None:
    response = client.post("/console/sign-in", data={"token": token})
    assert response.status_code == 303, response.text


def _page_fields(client: TestClient, page: str = "/console") -> dict[str, str]:
    """The form token and the open form's key of ``page`` as loaded now."""
    text = client.get(page).text
    csrf, key = _CSRF.search(text), _FORM_KEY.search(text)
    assert csrf is not None
    return {"csrf": csrf.group(1), **({"key": key.group(1)} if key else {})}


def _open_form(client: TestClient) -> dict[str, str]:
    fields = {"customer_id": "10442", "customer_name": "Ada Guest", "tier": "gold", "category": "room_not_ready"}
    return {**_page_fields(client), **fields, "kind": "refund", "amount": "3000.00"}


def _signed_in_as(client: TestClient) -> list[str]:
    return _SIGNED_IN_AS.findall(client.get("/console").text)


def _token_file(path: Path, *entries: tuple[str, str, str]) -> None:
    path.write_text("\n".join(token_entry(*entry) for entry in entries), encoding="utf-8")


# -- a session that ends while a form is filled in -----------------------------------------------------------------
def test_a_form_sent_after_its_session_ended_records_nothing_and_says_to_sign_in_again() -> None:
    """The page: "A session ends after 12 hours (`serve --session-hours`)"; "Errors are shown in the page ... with
    what to do"; a refused form's title begins with "Error". The open form and a step's form, filled in while the
    session ran out, are refused alike: nothing is recorded, the page says to sign in, and the form's address
    opened again leads to the sign-in."""
    now = [NOW]
    served = serve(clock=lambda: now[0], session_lifetime=dt.timedelta(hours=1))
    clerk = _browser(served.app)
    _sign_in(clerk, served.tokens["staff"])
    opened = clerk.post("/console/cases", data=_open_form(clerk))
    number = opened.headers["location"].removeprefix("/console/cases/").split("?")[0]
    form, step = _open_form(clerk), _page_fields(clerk, f"/console/cases/{number}")
    now[0] = NOW + dt.timedelta(hours=1)  # the session's last moment has passed while the forms were filled in
    for address, data in (("/console/cases", form), (f"/console/step/listen/{number}", step)):
        refused = clerk.post(address, data=data)
        assert refused.status_code == 401, address
        alert = _ALERT.search(refused.text)
        assert alert is not None
        assert "You are not signed in" in alert.group(1)
        assert "Sign in with your token again" in alert.group(1)
        assert 'href="/console/sign-in"' in refused.text
        assert re.search(r"<title>Error", refused.text)
        assert "Traceback" not in refused.text
        again = clerk.get(address)  # the address bar's address, opened again: the form's page, then the sign-in
        assert again.status_code == 303
        assert clerk.get(again.headers["location"]).headers["location"] == "/console/sign-in"
    assert len(served.journal.cases()) == 1
    assert [event.kind for event in served.journal.events(ComplaintNumber.parse(number))] == ["opened"]


# -- a shift change on one browser ----------------------------------------------------------------------------------
def test_a_shift_change_on_one_browser_shows_and_reuses_nothing_of_the_first_employee() -> None:
    """The page: the form token is "derived from the session's cookie"; the open form's first field "is named for
    the session"; the last form's cookie is "gone at sign-out". The next employee on the same browser gets another
    form token and another form tag, no reminder of the case the first one opened, and the first one's forms (a
    stale tab) are refused: nothing is recorded as either employee."""
    served = serve()
    desk = _browser(served.app)
    _sign_in(desk, served.tokens["staff"])
    first_form = _open_form(desk)
    first_tag = _FORM_TAG.search(desk.get("/console").text)
    assert desk.post("/console/cases", data=first_form).status_code == 303
    stale_step = _page_fields(desk, "/console/cases/20261123-10442")
    assert desk.post("/console/sign-out", data={"csrf": first_form["csrf"]}).status_code == 303
    _sign_in(desk, served.tokens["staff-2"])
    home = desk.get("/console").text
    second_tag, second_csrf = _FORM_TAG.search(home), _CSRF.search(home)
    assert first_tag is not None
    assert second_tag is not None
    assert second_csrf is not None
    assert second_tag.group(1) != first_tag.group(1)
    assert second_csrf.group(1) != first_form["csrf"]
    assert "You opened case" not in home
    assert _signed_in_as(desk) == ["e-staff-2 (staff)"]
    for address, data in (("/console/cases", first_form), ("/console/step/listen/20261123-10442", stale_step)):
        refused = desk.post(address, data=data)
        assert refused.status_code == 403, address
        assert "out of date" in refused.text
    events = served.journal.events(ComplaintNumber.parse("20261123-10442"))
    assert [(event.kind, event.employee) for event in events] == [("opened", "e-staff")]


def _signed_in_under_an_earlier_session(served: Served) -> tuple[TestClient, str]:
    """A browser where ``staff`` loaded a page (a tab left open), signed out in another tab, and ``staff-2``
    signed in: the browser and the form token of the tab left open."""
    desk = _browser(served.app)
    _sign_in(desk, served.tokens["staff"])
    stale = _page_fields(desk)["csrf"]  # the tab left open
    assert desk.post("/console/sign-out", data={"csrf": _page_fields(desk)["csrf"]}).status_code == 303
    _sign_in(desk, served.tokens["staff-2"])
    assert _signed_in_as(desk) == ["e-staff-2 (staff)"]
    return desk, stale


def test_sign_out_from_a_tab_loaded_before_a_shift_change_signs_out_who_is_signed_in_now() -> None:
    """The page: "**Sign out** makes the browser forget the session". At a shared desk the next employee may press
    Sign out in a tab still showing the page of the one before: it is the browser's session that must end, not be
    kept with an "out of date" page while the employee walks away signed in."""
    served = serve()
    desk, stale = _signed_in_under_an_earlier_session(served)
    signed_out = desk.post("/console/sign-out", data={"csrf": stale})
    assert _signed_in_as(desk) == []
    assert desk.get("/console").headers["location"] == "/console/sign-in"
    assert signed_out.status_code == 303


def test_sign_out_after_the_token_left_the_token_file_makes_the_browser_forget_the_session(tmp_path: Path) -> None:
    """The page: "**Sign out** makes the browser forget the session". An employee whose token was taken out of the
    token file (by mistake, or while suspended) presses Sign out: the browser keeps the cookie all the same, and
    once the same token is back in the file that browser is signed in as them again, at a shared desk."""
    path = tmp_path / "tokens.toml"
    token, digest = mint_token()
    _, other_digest = mint_token()  # a colleague: the token file is never empty
    _token_file(path, (digest, "e-1", "staff"), (other_digest, "e-2", "staff"))
    with MemoryJournal() as journal:
        app = create_app(
            presets.ritz_carlton(), journal, Tokens.from_file(path), tokens_source=str(path), clock=lambda: NOW
        )
        desk = _browser(app)
        _sign_in(desk, token)
        csrf = _page_fields(desk)["csrf"]
        _token_file(path, (other_digest, "e-2", "staff"))
        assert desk.get("/console").status_code == 303  # the session ended at once, as the page says
        desk.post("/console/sign-out", data={"csrf": csrf})
        _token_file(path, (digest, "e-1", "staff"), (other_digest, "e-2", "staff"))
        assert desk.get("/console").status_code == 303, "the browser signed out is signed in again"


# -- the token file changed while signed in ------------------------------------------------------------------------
def test_a_level_changed_in_the_token_file_holds_for_a_session_at_its_next_request(tmp_path: Path) -> None:
    """The page: "Who may act is the token's level, never the form's"; run-the-decision-service.md: each request
    reads the token file again when it changed. A manager lowered to staff while signed in loses the queue and the
    manager's buttons at the next request, and the approval form loaded before is refused (403), nothing recorded;
    raised to general manager, the same form records the approval at the new level."""
    path = tmp_path / "tokens.toml"
    clerk_token, clerk_digest = mint_token()
    boss_token, boss_digest = mint_token()
    _token_file(path, (clerk_digest, "e-1", "staff"), (boss_digest, "e-2", "manager"))
    with MemoryJournal(clock=lambda: NOW) as journal:
        app = create_app(
            presets.ritz_carlton(), journal, Tokens.from_file(path), tokens_source=str(path), clock=lambda: NOW
        )
        clerk, boss = _browser(app), _browser(app)
        _sign_in(clerk, clerk_token)
        _sign_in(boss, boss_token)
        opened = clerk.post("/console/cases", data=_open_form(clerk)).headers["location"]
        number = opened.removeprefix("/console/cases/").split("?")[0]
        for step in ("listen", "apologize", "ask_preferred_solution", "decide", "escalate"):
            fields = {"kind": "refund", "amount": "3000.00"} if step == "ask_preferred_solution" else {}
            form = {**_page_fields(clerk, f"/console/cases/{number}"), **fields}
            assert clerk.post(f"/console/step/{step}/{number}", data=form).status_code == 303, step
        page = boss.get(f"/console/cases/{number}").text
        assert 'action="/console/step/manager_approves/' in page
        approve = {"csrf": _CSRF.findall(page)[0]}
        approve["key"] = re.findall(r'name="key" value="([0-9a-f]{32}-manager_approves)"', page)[0]
        _token_file(path, (clerk_digest, "e-1", "staff"), (boss_digest, "e-2", "staff"))
        assert _signed_in_as(boss) == ["e-2 (staff)"]
        assert boss.get("/console/queue").status_code == 403
        assert 'action="/console/step/manager_approves/' not in boss.get(f"/console/cases/{number}").text
        refused = boss.post(f"/console/step/manager_approves/{number}", data=approve)
        assert refused.status_code == 403
        view = CaseView.replay(journal.events(ComplaintNumber.parse(number)))
        assert view.state.value == "escalated"
        _token_file(path, (clerk_digest, "e-1", "staff"), (boss_digest, "e-2", "general_manager"))
        assert boss.post(f"/console/step/manager_approves/{number}", data=approve).status_code == 303
        last = journal.events(ComplaintNumber.parse(number))[-1]
        assert (last.kind, last.actor, last.employee) == ("manager_approved", "general_manager", "e-2")


# -- how long a session lasts ----------------------------------------------------------------------------------------
def test_a_shorter_session_lifetime_ends_the_sessions_signed_for_longer() -> None:
    """serve.md: `--session-hours` is "how long a console session lasts before its employee signs in again";
    the console page: "On shared machines, use a private window, or shorten `--session-hours`", and with
    `--session-key-file` "sessions outlive a restart". Shortened and restarted with the kept key, the service
    still takes a session (a shared kiosk's copy, say) signed for the old, longer lifetime: shortening it ends
    nothing, though no session it signs now lasts longer than an hour."""
    token, digest = mint_token()
    tokens = Tokens.from_entries([{"sha256": digest, "employee": "e-1", "level": "staff"}])
    now = [NOW]
    with MemoryJournal() as before, MemoryJournal() as after:
        long = create_app(
            presets.ritz_carlton(),
            before,
            tokens,
            clock=lambda: now[0],
            session_key=_KEY,
            session_lifetime=dt.timedelta(days=30),
        )
        kiosk = _browser(long)
        _sign_in(kiosk, token)
        short = create_app(
            presets.ritz_carlton(),
            after,
            tokens,
            clock=lambda: now[0],
            session_key=_KEY,
            session_lifetime=dt.timedelta(hours=1),
        )
        restarted = _browser(short)
        cookie = kiosk.cookies.get(_COOKIE)
        assert cookie is not None
        restarted.cookies.set(_COOKIE, cookie)
        now[0] = NOW + dt.timedelta(days=10)
        assert restarted.get("/console").status_code == 303
        fresh = _browser(short)
        _sign_in(fresh, token)  # a session signed now lasts the new hour, as before
        assert fresh.get("/console").status_code == 200


# -- in a real browser: tabs share the session -----------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_in_a_browser_the_session_cookie_is_kept_as_documented_and_sign_out_in_one_tab_signs_out_the_others() -> None:
    """The page: the session is "kept in an `HttpOnly`, `SameSite=Strict` cookie ..., scoped to `/console`", and
    "**Sign out** makes the browser forget the session". Chromium keeps the cookie so (no script can read it), and
    after Sign out in one tab, the other tab of the same browser, its form sent or the console opened again, is signed
    out too."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need playwright, which dev installs"
    )
    browser_path = shutil.which("chromium-headless-shell")
    if browser_path is None:
        pytest.skip("chromium-headless-shell is not installed (apt-get install -y chromium-headless-shell)")
    served = serve(reload_on_sighup=False)
    with Running(served.app) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path)
        try:
            context = browser.new_context(base_url=url)
            first = context.new_page()
            first.set_default_timeout(5000)
            first.goto("/console")
            first.get_by_label("Your token").fill(served.tokens["staff"])
            first.keyboard.press("Enter")
            first.wait_for_url("**/console")
            (cookie,) = [cookie for cookie in context.cookies() if cookie["name"] == _COOKIE]
            assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/console")
            assert cookie["secure"] is False  # plain http on loopback: a Secure cookie would never come back
            assert first.evaluate("document.cookie") == ""  # no script of the page reads it
            second = context.new_page()
            second.set_default_timeout(5000)
            second.goto("/console")
            second.get_by_label("Customer number").fill("10442")  # a form being filled in the other tab
            second.get_by_label("What it is about").fill("room_not_ready")
            second.get_by_label("Amount (USD)").fill("40.00")
            first.get_by_role("button", name="Sign out").click()
            first.wait_for_url("**/console/sign-in")
            assert [cookie for cookie in context.cookies() if cookie["name"] == _COOKIE] == []
            second.get_by_role("button", name="Open the case").click()
            second.wait_for_load_state()
            assert "You are not signed in" in second.get_by_role("alert").inner_text()
            second.goto("/console")
            assert second.url == url + "/console/sign-in"
            assert served.journal.cases() == []
            context.close()
        finally:
            browser.close()
            served.journal.close()
