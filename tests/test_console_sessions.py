"""The console's sessions: a signed cookie that names the token by its hash, ends, and is no bearer token.

Signing in gives a session, not the token back: ``s1.<token hash>.<expiry>.<nonce>.<signature>``, signed with
the service's session key. A copied cookie is refused by the API, stops working when the session's lifetime
is over or the token leaves the token file, and cannot be edited into another employee's or a longer one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from recovery_rules import InvalidInputError, MemoryJournal, presets
from recovery_rules.server import Tokens, create_app, hash_token, mint_token, token_entry
from recovery_rules.server._app import _handed_key
from recovery_rules.server._console import COOKIE, session_cookie, session_holder

from ._server import NOW, serve

KEY = bytes(range(32))


def _sign_in(app: object, token: str) -> str:
    client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]  # a FastAPI app
    response = client.post("/console/sign-in", data={"token": token})
    assert response.status_code == 303, response.text
    cookie = client.cookies.get(COOKIE)
    assert cookie is not None
    return cookie


def _front_page(app: object, cookie: str) -> int:
    client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]  # a FastAPI app
    client.cookies.set(COOKIE, cookie)
    status: int = client.get("/console").status_code
    return status


def test_the_cookie_is_a_signed_session_not_the_token() -> None:
    served = serve()
    token = served.tokens["staff"]
    client = TestClient(served.app, follow_redirects=False)
    response = client.post("/console/sign-in", data={"token": token})
    cookie = client.cookies.get(COOKIE)
    assert cookie is not None
    assert token not in cookie
    assert token not in response.headers["set-cookie"]
    assert cookie.startswith(f"s1.{hash_token(token)}.")
    assert "Max-Age=43200" in response.headers["set-cookie"]  # 12 hours: the browser drops it too
    assert client.get("/console").status_code == 200
    assert served.client.get("/v1/policy", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401
    assert _front_page(served.app, token) == 303  # the token itself is no session either


def test_an_edited_session_is_refused() -> None:
    served = serve()
    cookie = _sign_in(served.app, served.tokens["staff"])
    assert _front_page(served.app, cookie) == 200
    _, digest, expires, nonce, signature = cookie.split(".")
    manager = hash_token(served.tokens["manager"])
    edited = [
        f"s1.{manager}.{expires}.{nonce}.{signature}",  # another employee's token
        f"s1.{digest}.{int(expires) + 3600}.{nonce}.{signature}",  # an hour longer
        f"s1.{digest}.{expires}.{secrets.token_urlsafe(16)}.{signature}",
        f"s1.{digest}.{expires}.{nonce}.{secrets.token_hex(32)}",
        f"s2.{digest}.{expires}.{nonce}.{signature}",
        cookie[:-1],
        f"{cookie}.",
        "",
    ]
    for forged in edited:
        assert _front_page(served.app, forged) == 303, forged


@given(position=st.integers(0, 200), replacement=st.characters(codec="ascii", exclude_characters=';, "\\'))
def test_no_one_character_edit_makes_a_session(position: int, replacement: str) -> None:
    cookie = session_cookie(KEY, "ab" * 32, NOW + dt.timedelta(hours=1))
    assert session_holder(KEY, cookie, NOW) == "ab" * 32
    at = position % len(cookie)
    edited = cookie[:at] + replacement + cookie[at + 1 :]
    if edited != cookie:
        assert session_holder(KEY, edited, NOW) is None
    assert session_holder(bytes(32), cookie, NOW) is None  # signed with another key


def test_a_session_ends_after_its_lifetime() -> None:
    now = [NOW]
    served = serve(clock=lambda: now[0], session_lifetime=dt.timedelta(hours=2))
    client = TestClient(served.app, follow_redirects=False)
    response = client.post("/console/sign-in", data={"token": served.tokens["staff"]})
    assert "Max-Age=7200" in response.headers["set-cookie"]
    now[0] = NOW + dt.timedelta(hours=1, minutes=59)
    assert client.get("/console").status_code == 200
    now[0] = NOW + dt.timedelta(hours=2)
    response = client.get("/console")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in"


def test_a_session_from_a_service_whose_clock_is_a_few_minutes_ahead_still_holds() -> None:
    """Services sharing a session key differ a little in their clocks: a session signed for the lifetime by one
    four minutes ahead holds here; one that would end more than the lifetime and five minutes from now does not."""
    _, digest = mint_token()
    lifetime = dt.timedelta(hours=2)
    ahead = session_cookie(KEY, digest, NOW + lifetime + dt.timedelta(minutes=4))
    assert session_holder(KEY, ahead, NOW, lifetime) == digest
    too_long = session_cookie(KEY, digest, NOW + lifetime + dt.timedelta(minutes=6))
    assert session_holder(KEY, too_long, NOW, lifetime) is None


@pytest.mark.slow
def test_workers_with_one_key_share_sessions_until_the_token_leaves_the_token_file() -> None:
    token, digest = mint_token()
    other, other_digest = mint_token()
    everyone = Tokens.from_entries(
        [
            {"sha256": digest, "employee": "e-1", "level": "staff"},
            {"sha256": other_digest, "employee": "e-2", "level": "staff"},
        ]
    )
    without = Tokens.from_entries([{"sha256": other_digest, "employee": "e-2", "level": "staff"}])

    def app(tokens: Tokens, key: bytes) -> object:
        return create_app(presets.ritz_carlton(), MemoryJournal(), tokens, clock=lambda: NOW, session_key=key)

    first, second = app(everyone, KEY), app(everyone, KEY)
    cookie = _sign_in(first, token)
    assert _front_page(second, cookie) == 200  # another worker of the same service
    assert _front_page(app(everyone, secrets.token_bytes(32)), cookie) == 303  # another service's key
    assert _front_page(app(without, KEY), cookie) == 303  # the token was taken out of the token file
    assert _front_page(app(without, KEY), _sign_in(first, other)) == 200


@pytest.mark.parametrize(
    ("options", "location"),
    [
        ({"session_key": b"short"}, "session_key"),
        ({"session_key": "not bytes" * 8}, "session_key"),
        ({"session_lifetime": dt.timedelta(0)}, "session_lifetime"),
        ({"session_lifetime": 3600}, "session_lifetime"),
    ],
)
def test_a_bad_session_key_or_lifetime_is_refused(options: dict[str, object], location: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        create_app(presets.ritz_carlton(), MemoryJournal(), Tokens({}), **options)  # type: ignore[arg-type]
    assert caught.value.problems[0].location == location


@pytest.mark.parametrize("lifetime", [dt.timedelta(seconds=30), dt.timedelta(days=31), dt.timedelta(days=3_000_000)])
def test_a_lifetime_out_of_range_is_refused_before_anyone_signs_in(lifetime: dt.timedelta) -> None:
    with pytest.raises(InvalidInputError, match="from 1 minute to 30 days"):
        create_app(presets.ritz_carlton(), MemoryJournal(), Tokens({}), session_lifetime=lifetime)


def test_a_handed_over_key_that_does_not_read_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker making its own key instead would sign people out on every other request."""
    monkeypatch.setenv("RECOVERY_RULES_SESSION_KEY", "not a key")
    with pytest.raises(InvalidInputError, match="RECOVERY_RULES_SESSION_KEY"):
        _handed_key()
    monkeypatch.setenv("RECOVERY_RULES_SESSION_KEY", "ab" * 16)
    with pytest.raises(InvalidInputError, match="64 digits or more"):
        _handed_key()
    monkeypatch.setenv("RECOVERY_RULES_SESSION_KEY", KEY.hex())
    assert _handed_key() == KEY
    monkeypatch.delenv("RECOVERY_RULES_SESSION_KEY")
    assert _handed_key() is None


def test_a_session_ends_at_its_next_request_once_its_token_leaves_the_token_file(tmp_path: Path) -> None:
    """The service reads the token file again when it changes: taking an employee's token out of it ends their
    console sessions too, copies included, with no reload."""
    path = tmp_path / "tokens.toml"
    token, digest = mint_token()
    other, other_digest = mint_token()
    path.write_text(
        token_entry(digest, "e-1", "staff") + "\n" + token_entry(other_digest, "e-2", "staff") + "\n", encoding="utf-8"
    )
    app = create_app(
        presets.ritz_carlton(), MemoryJournal(), Tokens.from_file(path), tokens_source=str(path), session_key=KEY
    )
    cookie, kept = _sign_in(app, token), _sign_in(app, other)
    assert (_front_page(app, cookie), _front_page(app, kept)) == (200, 200)
    path.write_text(token_entry(other_digest, "e-2", "staff") + "\n", encoding="utf-8")
    assert (_front_page(app, cookie), _front_page(app, kept)) == (303, 200)


@pytest.mark.parametrize("lifetime", [dt.timedelta(minutes=1), dt.timedelta(days=30)])
def test_a_lifetime_at_either_bound_is_accepted(lifetime: dt.timedelta) -> None:
    with MemoryJournal() as journal:  # no error: 1 minute and 30 days are lifetimes a service may have
        create_app(presets.ritz_carlton(), journal, Tokens({}), session_lifetime=lifetime)
