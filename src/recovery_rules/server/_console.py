"""The front-desk console: server-rendered HTML pages for the employees, beside the ``/v1`` API.

An employee signs in with their token and gets a session (an HttpOnly, SameSite=Strict cookie, Secure over
https; see :func:`session_cookie`: it names the token by its hash, ends after the service's session lifetime
and is signed with the service's session key, so it is no bearer token for the API), opens
a case, and walks it: each page shows the words to say (``Wording.say_next``), the Plan B with its contact,
directions and web address as links, the callback promised (in the policy's time zone), and the steps allowed
next as forms. A manager has a queue (escalations waiting, overdue callbacks, reports owed a call). The policy
page checks a pasted policy and tries a complaint against it, recording nothing.

Who may act is the token's level, never the form's: every step goes through the same checks as the API's
(``_api._check_actor``, and the library's own for the steps it checks), so hiding a button is a courtesy, not
the protection.

Cross-site requests: the session cookie is SameSite=Strict, and every form that changes something carries a
token derived from the session's own (an HMAC keyed by it), checked in constant time; a request whose
``Origin`` header names another site is refused too. The derived token needs no server-side state, so it
holds across workers and restarts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import threading
import zoneinfo
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote, urlsplit

import anyio
import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import FormParser, MultiPartException

from recovery_rules import (
    ERASED,
    Alternative,
    AuthorityError,
    Case,
    CaseState,
    CaseView,
    Complaint,
    ComplaintNumber,
    Event,
    IdempotencyConflictError,
    InvalidInputError,
    JournalError,
    Money,
    Outcome,
    Policy,
    PolicyError,
    RecoveryRulesError,
    Remedy,
    Resolution,
    StaleCaseError,
    UnknownLevelError,
    Window,
    Wording,
    WorkflowError,
    forbidden_phrases,
)
from recovery_rules.proof import (
    Counterexample,
    Proof,
    categories,
    count_regions,
    each_slice,
    grant_windows,
    prove,
    tiers,
)

from ._api import _check_actor, _count, _explaining_level, _journal_key, _token_level_refused
from ._auth import Employee, hash_token
from ._problems import ApiProblem
from ._service import Service

__all__ = ["COOKIE", "csrf_token", "is_console", "problem_page", "router", "session_cookie", "session_holder"]

COOKIE: Final = "rr_console"
"""The session cookie (:func:`session_cookie`), HttpOnly, SameSite=Strict, Secure over https."""
OPENED: Final = "rr_opened"
"""The cookie naming the open form that last opened a case in this browser: its idempotency key (random, no
personal data), for :data:`SENT_AGAIN`. HttpOnly, SameSite=Strict, Secure over https; gone at sign-out."""
SENT_AGAIN: Final = dt.timedelta(minutes=15)
"""How long after opening a case the same details sent again from a new form (Back, then the button again)
go to that case instead of opening a second one."""
_FORM_KEY: Final = re.compile(r"[0-9a-f]{32}")
MAX_FORM_FIELD: Final = 5_000_000
"""The most a field of the policy page's form holds: a policy pasted whole (what ``/v1/policy/check`` takes)."""
MAX_TEXT_FIELD: Final = 65_536
"""The most a field of any other form holds (a note or a description is at most 10,000 characters)."""
MAX_FIELDS: Final = 40
"""The most fields a console form has (the policy page's, the largest, has about a dozen)."""
MAX_SIGN_IN_FIELD: Final = 4_096
"""The most the sign-in form's token field holds: it is read before anyone is known, so it is read little."""
MAX_SIGN_IN_BODY: Final = 6 * MAX_SIGN_IN_FIELD
"""The most bytes of a sign-in form read, whatever it holds (empty fields too): a few KB."""
FORM_MEDIA: Final = "application/x-www-form-urlencoded"
"""The media type of every console form (no form of the console sends files: multipart/form-data is refused, as
Starlette bounds neither the size nor the number of its file parts)."""
MAX_PROOF_REGIONS: Final = 400_000
"""The most regions the policy page proves: a proof decides one complaint per region, so its time grows with
them, not with its slices (a slice has a handful of regions or millions). The Ritz-Carlton preset has 308,576
(1,008 slices, about 35 seconds); 400,000 admits it with a margin of about 30% and holds a thread for at most
about 45 seconds. A larger policy is proved from the shell (``recovery-rules prove``), which has no bound, not
by a worker of the service. Counted up to the bound only (:func:`recovery_rules.proof.count_regions`): a
policy of millions of regions is refused in a few tenths of a second."""
"""The longest form field accepted (a pasted policy)."""

_CSRF_PURPOSE: Final = b"recovery-rules console form v1"
_SESSION_PURPOSE: Final = b"recovery-rules console session v1|"
_SESSION: Final = re.compile(r"s1\.([0-9a-f]{64})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})\.([0-9a-f]{64})")
_PHONE: Final = re.compile(r"\+?\d[\d ().-]{5,}\d")
_WEB: Final = re.compile(r"https?://[^\s<>\"']+\Z")
_STATUS_OF: Final = {"forbidden": 403, "not-found": 404, "invalid-input": 422}
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make the browser send "Origin: null"
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

_ENVIRONMENT: Final = jinja2.Environment(
    loader=jinja2.PackageLoader("recovery_rules.server", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

router = APIRouter(prefix="/console", include_in_schema=False)


# -- sessions and forms --------------------------------------------------------------------------------------
def csrf_token(session_token: str) -> str:
    """The form token of a session: an HMAC keyed by the session's cookie, so only its holder can make it."""
    return hmac.new(session_token.encode("utf-8"), _CSRF_PURPOSE, hashlib.sha256).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    """Who is signed in, and the form token their pages carry."""

    employee: Employee
    csrf: str
    rank: int


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _rank(policy: Policy, level: str) -> int:
    return [known.name for known in policy.levels].index(level)


def session_cookie(key: bytes, digest: str, expires: dt.datetime) -> str:
    """A console session: ``s1.<token hash>.<expiry>.<nonce>.<signature>``.

    ``digest`` is the SHA-256 of the employee's token (as the token file holds it), ``expires`` when the
    session ends; the signature is an HMAC-SHA256 keyed by the service's session ``key``, so only the service
    makes one. The token itself is never in it: a copied cookie opens the console (until it expires, or the
    token leaves the token file) but is refused by the API, and nobody learns the token from it.
    """
    body = f"s1.{digest}.{int(expires.timestamp())}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_signature(key, body)}"


_CLOCK_SLACK: Final = dt.timedelta(minutes=5)
"""How much later than a session of ``longest`` signed now a session may end: the clocks of services that share a
session key differ a little."""


_LINE_BREAKS: Final = re.compile("[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_BIDI_CONTROLS: Final = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _name_in_line(name: str) -> str:
    """A customer's name as the words on a page say it: on one line (the words are shown a paragraph a line, so a name
    never adds one), and, holding bidi controls, isolated (U+2068 ... U+2069): an override in it ends with it, and
    cannot reverse the words after it."""
    name = _LINE_BREAKS.sub(" ", name)
    return f"\u2068{name}\u2069" if _BIDI_CONTROLS.search(name) else name


def session_holder(key: bytes, cookie: str, now: dt.datetime, longest: dt.timedelta | None = None) -> str | None:
    """The token hash a session ``cookie`` names, if ``key`` signed it and it has not expired at ``now``; with
    ``longest`` (the service's session lifetime), nor would it end later than a session signed now: one signed
    for longer (``--session-hours`` shortened since, the key kept) ends at once."""
    found = _SESSION.fullmatch(cookie)
    if found is None:
        return None
    body = cookie[: found.start(4) - 1]
    if not hmac.compare_digest(found.group(4), _signature(key, body)):
        return None
    expires = int(found.group(2))
    if expires <= now.timestamp():
        return None
    if longest is not None and expires > (now + longest + _CLOCK_SLACK).timestamp():
        return None
    return found.group(1)


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, _SESSION_PURPOSE + body.encode("ascii"), hashlib.sha256).hexdigest()


def _session(request: Request, policy: Policy) -> Session | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 1000:
        return None
    service = _service(request)
    digest = session_holder(service.session_key, cookie, service.now(), service.session_lifetime)
    employee = None if digest is None else service.tokens.holder(digest)
    if employee is None or employee.level not in {level.name for level in policy.levels}:
        return None
    return Session(employee, csrf_token(cookie), _rank(policy, employee.level))


def _same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (when the browser sent one) names this site's host.

    The host and port are compared, not the scheme: behind a proxy that ends TLS the browser's origin is
    ``https://`` while the request reaching the service is plain http (the proxy passes the ``Host`` header on).
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site form post: those always carry Origin
    host = request.headers.get("host", "")
    return bool(host) and urlsplit(origin).netloc.lower() == host.lower()


def _check_form_media(request: Request) -> None:
    """Refuse (a 415 page) a body that is not a form as the console's pages send one (:data:`FORM_MEDIA`)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("", FORM_MEDIA):
        raise StarletteHTTPException(415, f"a console form is sent as {FORM_MEDIA}, as the console's pages send it")


async def _form(request: Request, *, largest: int = MAX_TEXT_FIELD) -> FormData:
    """The form of ``request``, each field at most ``largest`` bytes, at most :data:`MAX_FIELDS` fields (more is a
    400): what the server reads of a body it was sent."""
    _check_form_media(request)
    if largest <= MAX_TEXT_FIELD:
        return await request.form(max_part_size=largest, max_fields=MAX_FIELDS)
    # The policy page's: one field (the policy) up to ``largest``, the others 64 KB each, so the body is bounded as
    # a whole before it is parsed (Starlette bounds each field alike).
    most = largest + MAX_FIELDS * 3 * MAX_TEXT_FIELD
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > most:
            raise StarletteHTTPException(413, f"The form was larger than the {most:,} bytes this page reads")

    async def sent() -> Any:
        yield bytes(body)

    try:
        form = await FormParser(request.headers, sent(), max_fields=MAX_FIELDS, max_part_size=largest).parse()
    except MultiPartException as error:
        raise StarletteHTTPException(400, error.message) from None
    for name, value in form.multi_items():  # the policy is the one field read up to its bound
        if name != "policy" and isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) > MAX_TEXT_FIELD:
            raise StarletteHTTPException(400, f"Field exceeded maximum size of {MAX_TEXT_FIELD // 1024}KB.")
    return form


def _text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name, default)
    return value if isinstance(value, str) else default


class _RefusedError(Exception):
    """A request the console refuses before acting: its page and status."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _signed_in_post(
    request: Request, policy: Policy, *, largest: int = MAX_TEXT_FIELD
) -> tuple[Session, FormData]:
    """The session and form of a POST that changes something: signed in, same site, the right form token."""
    if not _same_origin(request):
        raise _RefusedError(
            _error_page(request, None, 403, "This form came from another site.", "Open the console again.")
        )
    session = _session(request, policy)
    if session is None:
        raise _RefusedError(_error_page(request, None, 401, "You are not signed in.", "Sign in with your token again."))
    form = await _form(request, largest=largest)
    # Compared as bytes: hmac.compare_digest refuses str with characters outside ASCII (a TypeError, not a 403).
    if not hmac.compare_digest(_text(form, "csrf").encode("utf-8"), session.csrf.encode("ascii")):
        raise _RefusedError(
            _error_page(
                request,
                session,
                403,
                "This form is out of date or did not come from the console.",
                "Go back, reload the page and send the form again.",
            )
        )
    return session, form


# -- rendering -----------------------------------------------------------------------------------------------
def _page(
    request: Request, template: str, session: Session | None, *, status: int = 200, **context: Any
) -> HTMLResponse:
    policy = _service(request).policy
    html = _ENVIRONMENT.get_template(template).render(
        session=session,
        policy_name=policy.name,
        is_manager=session is not None and session.rank > 0,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def _error_page(request: Request, session: Session | None, status: int, what: str, todo: str) -> HTMLResponse:
    return _page(request, "error.html", session, status=status, what=what, todo=todo, status_code=status)


def is_console(path: str) -> bool:
    """Whether ``path`` is one of the console's (under ``/console``): answered with HTML pages, never JSON."""
    return path == router.prefix or path.startswith(router.prefix + "/")


_STEP_ADDRESS: Final = re.compile(r"/console/step/[^/]+/(.+)")


def _form_page(path: str) -> str | None:
    """The page a form that posts to ``path`` is on, when ``path`` is such a form's address."""
    if path in {"/console/cases", "/console/sign-out"}:
        return "/console"
    found = _STEP_ADDRESS.fullmatch(path)
    return None if found is None else _case_url(found.group(1))


_PROBLEM_WORDS: Final = {
    404: ("There is no page at {path}.", "Check the address, or start again from the console's front page."),
    500: ("The console failed to answer; it was logged.", "Try again; if it fails again, tell who runs the service."),
}
"""The words of a problem page whose problem's own (the API's) do not fit a console page."""


def problem_page(request: Request, problem: Response) -> Response:
    """The console's answer where the app answered ``problem`` (``application/problem+json``, for the API): an
    HTML page of the same status, keeping its ``Allow`` and ``Retry-After`` headers; for a GET of a form's
    address (the address bar after a refused form, opened again), a redirect to the page the form is on."""
    import json  # noqa: PLC0415 - only a problem reads its JSON body

    status = problem.status_code
    if status == 405 and request.method in {"GET", "HEAD"} and (form_page := _form_page(request.url.path)):
        return _see(form_page)
    if status in _PROBLEM_WORDS:
        what, todo = (words.format(path=request.url.path) for words in _PROBLEM_WORDS[status])
    else:
        try:
            detail = json.loads(bytes(problem.body)).get("detail")
        except (ValueError, AttributeError):
            detail = None
        said = detail.rstrip(".") if isinstance(detail, str) else ""  # Starlette's own end with one already
        what = f"{said}." if said else "The console cannot answer this request."
        todo = "Go back, reload the page and try again."
    try:
        session = _session(request, _service(request).policy)
    except Exception:  # the page of an error says what it can: signed in or not
        session = None
    page = _error_page(request, session, status, what, todo)
    for name in ("allow", "retry-after", "strict-transport-security"):  # HSTS: an unexpected error sets its own
        if name in problem.headers:
            page.headers[name] = problem.headers[name]
    return page


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/console/sign-in", status_code=303, headers=_SECURITY_HEADERS)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=_SECURITY_HEADERS)


def _case_url(number: ComplaintNumber | str) -> str:
    return "/console/cases/" + quote(str(number), safe="/")


@dataclasses.dataclass(frozen=True, slots=True)
class OptionView:
    """One alternative as the page shows it: a phone number, the directions and an http(s) address as links."""

    id: str
    description: str
    value: str
    contact: str | None
    tel: str | None
    directions: str | None
    map: str | None
    url: str | None
    """The web address as a link, when it is one the page links to."""
    address: str | None
    """The web address as the policy writes it: shown as text when it is not linked."""
    refers_elsewhere: bool


_MAP_SEARCH: Final = "https://www.openstreetmap.org/search?query="
"""Where the directions link goes: the directions as a map search (OpenStreetMap: no account, no tracking)."""


def _option(alternative: Alternative, wording: Wording) -> OptionView:
    tel = None
    if alternative.contact and (found := _PHONE.search(alternative.contact)):
        tel = "tel:" + re.sub(r"[^\d+]", "", found.group())
    url = alternative.url if alternative.url and _WEB.match(alternative.url) else None
    return OptionView(
        id=alternative.id,
        description=alternative.description,
        value=wording.money(alternative.value),
        contact=alternative.contact,
        tel=tel,
        directions=alternative.directions,
        map=None if not alternative.directions else _MAP_SEARCH + quote(alternative.directions, safe=""),
        url=url,
        address=alternative.url,
        refers_elsewhere=alternative.refers_elsewhere,
    )


_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _when(moment: dt.datetime, policy: Policy) -> str:
    # In English whatever the process locale: strftime's %A and %B would follow LC_TIME.
    local = moment.astimezone(zoneinfo.ZoneInfo(policy.timezone))
    day = f"{_WEEKDAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} {local.year}"
    return f"{day}, {local.hour:02d}:{local.minute:02d} " + (local.tzname() or policy.timezone)


def _iso(moment: dt.datetime, policy: Policy) -> str:
    """``moment`` as a ``<time datetime>`` holds it: ISO 8601 with its offset, in the policy's time zone."""
    return moment.astimezone(zoneinfo.ZoneInfo(policy.timezone)).isoformat(timespec="minutes")


# -- signing in ----------------------------------------------------------------------------------------------
@router.get("/console.css")
def stylesheet() -> Response:
    css = _ENVIRONMENT.loader.get_source(_ENVIRONMENT, "console.css")[0]  # type: ignore[union-attr]  # set above
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    return _page(request, "sign_in.html", None, error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    if not _same_origin(request):
        return _error_page(request, None, 403, "This form came from another site.", "Open the console again.")
    _check_form_media(request)
    body = bytearray()  # read before anyone is known: a few KB at most
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_SIGN_IN_BODY:
            return _error_page(
                request, None, 413, "The sign-in form was larger than a sign-in form is.", "Sign in with your token."
            )

    async def sent() -> Any:
        yield bytes(body)

    try:
        form = await FormParser(request.headers, sent(), max_fields=5, max_part_size=MAX_SIGN_IN_FIELD).parse()
    except MultiPartException as error:
        raise StarletteHTTPException(400, error.message) from None
    token = _text(form, "token").strip()
    service = _service(request)
    employee = service.tokens.employee(token) if token and len(token) <= 1000 else None
    if employee is None or employee.level not in {level.name for level in service.policy.levels}:
        return _page(
            request,
            "sign_in.html",
            None,
            status=401,
            error="That token is not one this service knows. Check it, or ask the keeper of the token file for one.",
        )
    lifetime = service.session_lifetime
    response = _see("/console")
    _set_cookie(
        request,
        response,
        COOKIE,
        session_cookie(service.session_key, hash_token(token), service.now() + lifetime),
        lifetime,
    )
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, lifetime: dt.timedelta) -> None:
    """Set one of the console's cookies on ``response``: HttpOnly, SameSite=Strict, Secure over https, for
    ``/console`` only, kept for ``lifetime``."""
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
    )


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Forget this browser's session, whichever it is: a sign-out from this site is never refused. A tab loaded
    under an earlier session (another employee's, before a shift change) carries that session's form token, and a
    session that no longer holds (its token out of the token file) has none that matches: refusing either would
    leave the browser signed in, the second until the token is back in the file. Only a form from another site is
    refused; forgetting a session is nothing another site could misuse."""
    if not _same_origin(request):
        return _error_page(request, None, 403, "This form came from another site.", "Open the console again.")
    _check_form_media(request)
    response = _see("/console/sign-in")
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")
    response.delete_cookie(OPENED, path="/console", httponly=True, samesite="strict")
    return response


# -- the front desk ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class OpenForm:
    customer_id: str = ""
    customer_name: str = ""
    tier: str = ""
    category: str = ""
    kind: str = "refund"
    amount: str = ""
    description: str = ""


def _tiers(policy: Policy, sent: str = "") -> list[str]:
    """The tier select's options: every tier a limit mentions, ``standard``, and the tier the form was sent with (one
    the policy does not list stays selected when the form comes back, never turning into the first option)."""
    return sorted({tier for level in policy.levels for tier in level.tier_limits} | {"standard"} | ({sent} - {""}))


@router.get("/", include_in_schema=False)
def home_with_slash() -> Response:
    return _see("/console")


@router.get("")
def home(request: Request) -> Response:
    policy = _service(request).policy
    session = _session(request, policy)
    if session is None:
        return _to_sign_in()
    return _home(request, session, policy, OpenForm(), {})


def _home(
    request: Request,
    session: Session,
    policy: Policy,
    form: OpenForm,
    errors: Mapping[str, str],
    *,
    status: int = 200,
    number: str = "",
) -> HTMLResponse:
    service = _service(request)
    try:
        last = _last_opened(request, service, session)
    except RecoveryRulesError:  # the journal cannot say now: the form is shown without the reminder
        last = None
    return _page(
        request,
        "home.html",
        session,
        status=status,
        form=form,
        form_key=secrets.token_hex(16),  # this form's idempotency key: sent twice, it opens one case
        # The name of the form's first field, the session's own: a browser restores what was typed in a form
        # (Back) only into a form of the same fields, so never into the form of someone who signed in after.
        form_tag="desk-" + hashlib.sha256(session.csrf.encode("ascii")).hexdigest()[:16],
        last_opened=None
        if last is None
        else (str(last.number), _case_url(last.number), _when(last.at, policy), _iso(last.at, policy)),
        errors=errors,
        tiers=_tiers(policy, form.tier),
        categories=sorted(policy.categories),
        kinds=policy.remedy_kinds,
        currency=policy.currency,
        number=number,  # what the Find form was sent with, shown back when it is refused
    )


_OPEN_FIELDS: Final = {
    "customer.id": "customer_id",
    "customer.tier": "tier",
    "customer.name": "customer_name",
    "category": "category",
    "requested.kind": "kind",
    "requested.amount": "amount",
    "requested": "amount",
    "description": "description",
}


def _field_errors(error: InvalidInputError, fields: Mapping[str, str], fallback: str) -> dict[str, str]:
    """The problems of ``error`` by the form field they belong to (``fallback`` for the rest)."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        location = problem.location.removeprefix("complaint.").removeprefix("remedy.")
        field = fields.get(location) or fields.get(re.split(r"[.\[]", location, maxsplit=1)[0], fallback)
        errors[field] = (errors[field] + " " if field in errors else "") + problem.message
    return errors


_GROUPED: Final = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")
"""An amount written with commas between its thousands (``1,500.00``): the one comma a form accepts. Its first
group does not start with 0: ``0,500`` is a decimal comma (half a dinar), not five hundred."""

_PLAIN: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _amount(text: str, currency: str, field: str) -> Money:
    """The amount typed in a form's ``field``, as :class:`Money` reads one, its problem placed at the field.

    A comma is read only between groups of three digits (``1,500.00``): ``1,50`` is refused, never read as
    150 (nor as 1.50), as are exponents, underscores and digits of other scripts.
    """
    typed = text.strip()
    written = typed.replace(",", "") if _GROUPED.fullmatch(typed) else typed
    if not _PLAIN.fullmatch(written):
        raise InvalidInputError.at("form", field, _amount_wanted(currency))
    places = _places(currency)
    _, dot, fraction = written.partition(".")
    if dot and len(fraction) > places:  # said with the currency's examples, never Money's "round it yourself"
        shown = typed if len(typed) <= 24 else typed[:24] + "..."
        said = f"{currency} amounts have {places} decimal places and {shown} has more; {_amount_wanted(currency)}"
        raise InvalidInputError.at("form", field, said)
    try:
        return Money(written, currency)
    except InvalidInputError as error:  # too many decimal places, too large: said at the field
        raise InvalidInputError.at("form", field, error.problems[0].message) from None


def _places(currency: str) -> int:
    """The decimal places of ``currency``'s amounts (2 for dollars, 0 for yen; 2 for no currency code)."""
    try:
        unit = Money.from_minor_units(1, currency).amount
    except InvalidInputError:  # no currency code: the usual examples
        return 2
    return -int(unit.as_tuple().exponent)


def _amount_wanted(currency: str) -> str:
    """What an amount field holds, its examples in ``currency``'s decimal places: ``250.00`` and ``1,500.00``
    for dollars, ``250`` and ``1,500`` for yen (a yen field refuses ``250.00``)."""
    places = _places(currency)
    unit = Decimal(1).scaleb(-places)  # 0.01 for dollars, 1 for yen
    small, large = (f"{Decimal(value).quantize(unit):,f}" for value in (250, 1500))
    if places == 0:
        return (
            f"must be an amount such as {small} ({currency}): whole digits ({currency} has no decimal places), "
            f"with a comma only between thousands ({large})"
        )
    decimals = "the cents" if places == 2 else f"the {places} decimal places"
    return (
        f"must be an amount such as {small} ({currency}): digits, with a '.' before {decimals} and a comma only "
        f"between thousands ({large})"
    )


def _granted(text: str, policy: Policy) -> Money | dict[Window, Money]:
    """The form's "granted before": one amount for every window, or ``WINDOW=AMOUNT`` for each of the policy's
    windows, separated by spaces or semicolons (``incident=0 30d=8000.02``), as a proof's counterexample shows."""
    if "=" not in text:
        return _amount(text or "0", policy.currency, "granted")
    windows = policy.windows
    known = " ".join(f"{window}=AMOUNT" for window in windows)
    found: dict[Window, Money] = {}
    for part in re.split(r"[\s;]+", text.strip()):
        name, _, amount = part.partition("=")
        try:
            window: Window | None = Window.parse(name)
        except InvalidInputError:
            window = None
        if window is None or window not in windows or window in found:
            raise InvalidInputError.at("form", "granted", f"must be one amount, or {known}")
        found[window] = _amount(amount, policy.currency, "granted")
    if len(found) != len(windows):
        raise InvalidInputError.at("form", "granted", f"must be one amount, or {known}")
    return found


@router.post("/cases")
async def open_case(request: Request) -> Response:
    service = _service(request)
    policy = service.policy
    try:
        session, data = await _signed_in_post(request, policy)
    except _RefusedError as refused:
        return refused.response
    # The journal's write (a lock to wait for, a disk to sync) runs in a worker thread: never on the event loop,
    # where it would hold up every other request of this process.
    return await run_in_threadpool(_open_case, request, service, policy, session, data)


def _last_opened(request: Request, service: Service, session: Session) -> Event | None:
    """The case the open form named by the :data:`OPENED` cookie opened, if this employee opened it less than
    :data:`SENT_AGAIN` ago."""
    sent = request.cookies.get(OPENED, "")
    if not _FORM_KEY.fullmatch(sent):
        return None
    first = service.journal.find(_journal_key(session.employee, "console-open", "", sent))
    if first is None or first.kind != "opened" or not dt.timedelta(0) <= service.now() - first.at <= SENT_AGAIN:
        return None
    return first


def _opened(request: Request, number: ComplaintNumber, done: str, client_key: str) -> Response:
    """The answer to an open form that opened case ``number`` (or found it opened): its page, with the
    :data:`OPENED` cookie naming the form."""
    response = _see(_case_url(number) + f"?done={done}")
    if _FORM_KEY.fullmatch(client_key):
        _set_cookie(request, response, OPENED, client_key, SENT_AGAIN)
    return response


def _open_case(request: Request, service: Service, policy: Policy, session: Session, data: FormData) -> Response:
    form = OpenForm(**{field.name: _text(data, field.name).strip() for field in dataclasses.fields(OpenForm)})
    now = service.now()
    client_key = _text(data, "key")
    key = _journal_key(session.employee, "console-open", "", client_key or None)
    complaint: Complaint | None = None
    try:
        amount = _amount(form.amount, policy.currency, "requested.amount")
        complaint = Complaint.model_validate(
            {
                "customer": {"id": form.customer_id, "tier": form.tier or "standard", "name": form.customer_name},
                "category": form.category,
                "requested": {"kind": form.kind, "amount": amount},
                "received_at": _received_at(service, key, now),
                "description": form.description,
            }
        )
        if not _text(data, "again") and service.journal.find(key) is None:
            # A new form with what the last form of this browser opened a case of, minutes ago: Back after
            # opening (the browser fills the form in again, under a new key) and the button pressed again.
            # It goes to that case; the case page says so, and offers to open a second case all the same.
            last = _last_opened(request, service, session)
            if last is not None and _typed_the_same(last, complaint, name_left_out=True):
                return _see(_case_url(last.number) + "?done=again")
        case = Case.open(
            service.journal,
            policy,
            complaint,
            by=session.employee.level,
            employee=session.employee.id,
            key=key,
            now=now,
            clock=service.clock,
        )
    except IdempotencyConflictError as error:
        first = service.journal.find(key)
        if error.erased:
            return _home(request, session, policy, form, {"form": _SENT_BEFORE_ERASURE}, status=409)
        if first is not None and complaint is not None and _typed_the_same(first, complaint):
            # A copy of the form sent at once with the first (a double click, a resent request): it read the
            # journal before the first was written, so its complaint was received at another moment. The
            # clerk typed the same: answered as the first was.
            return _opened(request, first.number, "open", client_key)
        opened = "" if first is None else f" case {first.number}"
        said = (
            f"This form was already sent, with other details, and opened{opened}; nothing new was recorded. "
            "To open another case, send the form again now: it is a new form."
        )
        return _home(request, session, policy, form, {"form": said}, status=409)
    except InvalidInputError as error:
        errors = _field_errors(error, _OPEN_FIELDS, "form")
        return _home(request, session, policy, form, errors, status=422)
    except RecoveryRulesError as error:
        return _home(request, session, policy, form, {"form": str(error)}, status=_status(error))
    return _opened(request, case.number, "open", client_key)


_SENT_BEFORE_ERASURE: Final = (
    "This form was sent before the customer's personal data was erased, and can no longer be told from another "
    "form; nothing new was recorded. To go on, send the form again now: it is a new form."
)
"""What a form sent again after an erasure is told (its first sending's digest was keyed with the erased key)."""

_TYPED: Final = ("customer", "category", "requested", "description")
"""What the clerk types in the open form: a complaint's fields but the moment it was received and its number."""


def _typed_the_same(first: Event, complaint: Complaint, *, name_left_out: bool = False) -> bool:
    """Whether ``first``, the event recorded under an open form's key, opened a case of what ``complaint`` says
    (what the clerk typed, whatever the moment each copy of the form was received at).

    With ``name_left_out``, a ``complaint`` without the customer's name matches whatever name was recorded: the
    form after Back, whose name field the browser does not fill in again (``autocomplete="off"``: a customer's
    name is not kept in a shared desk's browser).
    """
    if first.kind != "opened":
        return False
    try:
        recorded = CaseView.replay((first,)).complaint
    except RecoveryRulesError:  # erased, or not readable with this policy: not known to be the same, so refused
        return False
    typed = set(_TYPED)
    was, now = recorded.model_dump(mode="json", include=typed), complaint.model_dump(mode="json", include=typed)
    if name_left_out and not now["customer"].get("name"):
        was["customer"]["name"] = now["customer"].get("name")
    return was == now


def _received_at(service: Service, key: str, now: dt.datetime) -> dt.datetime:
    """When the complaint of an open form was received: ``now``; for the same form sent again (its key found in
    the journal), when it was received the first time, so that the resent form is the same request and opens
    no second case (``Case.open`` answers with the first; a form changed since is still refused as another)."""
    first = service.journal.find(key)
    if first is None or first.kind != "opened":
        return now
    return CaseView.replay((first,)).complaint.received_at


@router.get("/find")
def find_case(request: Request, number: str = "") -> Response:
    policy = _service(request).policy
    session = _session(request, policy)
    if session is None:
        return _to_sign_in()
    try:
        parsed = ComplaintNumber.parse(number.strip())
    except InvalidInputError as error:
        return _home(
            request, session, policy, OpenForm(), {"number": error.problems[0].message}, status=422, number=number
        )
    return _see(_case_url(parsed))


def _status(error: RecoveryRulesError) -> int:
    if isinstance(error, AuthorityError):
        return 403 if _token_level_refused(error) else 409  # a cap or the recorded authority: as the API answers
    if isinstance(error, WorkflowError | IdempotencyConflictError | StaleCaseError):
        return 409
    if isinstance(error, InvalidInputError):
        return 422
    if isinstance(error, JournalError):
        return 503
    return 400


def _load(service: Service, policy: Policy, number: str) -> Case:
    try:
        parsed = ComplaintNumber.parse(number)
    except InvalidInputError as error:
        raise ApiProblem("invalid-input", f"that is not a complaint number: {error.problems[0].message}") from None
    if not service.journal.version(parsed):
        raise ApiProblem("not-found", f"no case has the complaint number {parsed}; check it, or open a case")
    try:
        return Case.load(service.journal, policy, parsed, clock=service.clock)
    except InvalidInputError as error:  # opened under another policy than the one served now
        raise ApiProblem("invalid-input", f"this case cannot be shown with the policy served now: {error}") from None


@router.get("/cases/{number:path}")
def case_page(request: Request, number: str, done: str = "") -> Response:
    service = _service(request)
    policy = service.policy
    session = _session(request, policy)
    if session is None:
        return _to_sign_in()
    try:
        case = _load(service, policy, number)
    except ApiProblem as problem:
        return _error_page(
            request, session, _STATUS_OF.get(problem.kind, 400), problem.detail, "Check the number and try again."
        )
    return _case(request, session, service, policy, case, done=done)


_OFFERED_WITH_A_DENIAL: Final = 2
"""How many of :meth:`Case.offers <recovery_rules.Case.offers>` explaining a denial offers: "the two alternatives to
offer, then the back-up to keep"."""


def _offers(case: Case, now: dt.datetime, by: str | None) -> tuple[Alternative, ...]:
    """``case.offers``, or none when the case's levels are not the policy's any more (a reload removed one: the
    step says so when pressed)."""
    try:
        return case.offers(by=by, now=now)
    except UnknownLevelError:
        return ()


def _needed_level(step: str, view: CaseView, policy: Policy) -> str:
    """The lowest level that may take ``step`` now (as the server will check it)."""
    if step in {"manager_approves", "manager_denies"}:
        return view.escalated_to or view.level
    if step == "explain_denial":  # at least denials_delivered_by, whoever denied it (a higher level, say)
        return policy.denials_delivered_by
    if step == "accept_alternative" and view.state is CaseState.BEYOND_AUTHORITY and view.decision is not None:
        return view.decision.acting_level  # instead of the escalation: granted by the level that decided
    if step in {"accept_alternative", "decline_alternatives", "make_final_offer", "accept_final_offer"}:
        return view.offered_by or view.level
    if step in {"decline_final_offer", "write_report"}:
        return view.offered_by or view.level
    if step == "manager_calls" and view.report is not None:
        return str(view.report.get("to") or view.level)
    return view.level


_STEP_LABELS: Final = {
    "listen": "Listened to the whole grievance",
    "apologize": "Apologized",
    "ask_preferred_solution": "Record the preferred solution",
    "decide": "Decide",
    "escalate": "Escalate and promise the callback",
    "manager_approves": "Approve",
    "manager_denies": "Deny, with the reason",
    "deliver": "Delivered the remedy",
    "explain_denial": "Explain the denial and offer two alternatives",
    "accept_alternative": "The customer accepts this alternative",
    "decline_alternatives": "The customer declines both alternatives",
    "make_final_offer": "Make the final offer",
    "accept_final_offer": "The customer accepts the final offer",
    "decline_final_offer": "The customer declines the final offer",
    "write_report": "Write the report to a manager",
    "thank": "Thanked the customer",
    "close": "Close the case",
    "manager_calls": "Made the personal call the report promised",
    "accept_offer": "The customer accepts the counter-offer",
    "decline_offer": "The customer declines the counter-offer",
}


def _case(
    request: Request,
    session: Session,
    service: Service,
    policy: Policy,
    case: Case,
    *,
    done: str = "",
    status: int = 200,
    error: str | None = None,
    field_errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> HTMLResponse:
    view = CaseView.replay(case.history)
    wording = Wording(policy)
    now = service.now()
    explainer = _explaining_level(policy, session.employee.level) if "explain_denial" in case.allowed_steps() else None
    name = _name_in_line(case.complaint.customer.name)
    words = [item for item in wording.say_next(case, now=now, by=explainer, customer_name=name) if item.text.strip()]
    said = [] if words else [item for item in wording.say_history(case, customer_name=name)[-1:] if item.text.strip()]
    backup: tuple[Alternative, ...] = ()
    if view.alternatives_offered and view.state.value == "alternatives_offered":
        plan_b, plan_b_title = view.alternatives_offered, "The two alternatives offered"
    elif view.final_offer is not None:
        plan_b, plan_b_title = (view.final_offer,), "The final offer"
    elif "make_final_offer" in case.allowed_steps():
        plan_b, plan_b_title = _offers(case, now, None), "The final offer to make"
    elif view.alternatives_offered:
        plan_b, plan_b_title = view.alternatives_offered, "The alternatives offered"
    elif "explain_denial" in case.allowed_steps():  # chosen now, for whoever will explain it, as the step will
        coming = _offers(case, now, explainer)  # the two the step offers, then the back-up it keeps
        plan_b, plan_b_title = coming[:_OFFERED_WITH_A_DENIAL], "The alternatives to offer"
        backup = coming[_OFFERED_WITH_A_DENIAL:][:1]
    elif view.resolution is not None and view.resolution.outcome is Outcome.APPROVED:
        # approved (by the employee or, after an escalation, by a manager): the approval's extra-mile ideas, never
        # the escalation's Plan B, which was what the employee could authorize before the approval
        plan_b, plan_b_title = view.resolution.suggestions, "Also suggest (extra mile)"
    elif view.decision is not None:
        plan_b, plan_b_title = view.decision.alternatives, "Plan B"
    else:
        plan_b, plan_b_title = (), "Plan B"
    steps = []
    for step in case.allowed_steps():
        needed = _needed_level(step, view, policy)
        steps.append(
            {
                "name": step,
                "label": _STEP_LABELS.get(step, step.replace("_", " ")),
                "allowed": needed not in {level.name for level in policy.levels}
                or session.rank >= _rank(policy, needed),
                "needed": needed,
            }
        )
    preferred = view.preferred or view.complaint.requested
    return _page(
        request,
        "case.html",
        session,
        status=status,
        view=view,
        number=str(case.number),
        case_url=_case_url(case.number),
        words=words,
        said=said,
        plan_b=[_option(item, wording) for item in plan_b],
        plan_b_title=plan_b_title,
        plan_b_backup=[_option(item, wording) for item in backup],
        callback=None if view.callback_by is None else _when(view.callback_by, policy),
        callback_iso=None if view.callback_by is None else _iso(view.callback_by, policy),
        callback_words=None if view.callback_by is None else wording.time(view.callback_by, now=now),
        overdue=view.callback_by is not None and view.callback_by < now,
        requested=wording.money(view.complaint.requested.amount),
        granted=wording.money(view.granted),
        resolution=view.resolution,
        steps=steps,
        done=_STEP_LABELS.get(done, "Case opened" if done == "open" else ""),
        again=None if done != "again" else _again(view, policy, session),
        error=error,
        field_errors=field_errors or {},
        values={"kind": preferred.kind, "amount": str(preferred.amount.amount), **(values or {})},
        kinds=policy.remedy_kinds,
        levels=[level.name for level in policy.levels],
        form_key=secrets.token_hex(16),
        history=[
            (event.version, event.kind, _when(event.at, policy), _iso(event.at, policy)) for event in view.history
        ],
    )


def _again(view: CaseView, policy: Policy, session: Session) -> dict[str, Any]:
    """What the case page says when the open form was sent again with what opened this case (``done=again``):
    when it was opened, and the form that opens a second case of the same complaint all the same."""
    complaint = view.complaint
    return {
        "opened_at": _when(view.history[0].at, policy),
        "opened_at_iso": _iso(view.history[0].at, policy),
        "form": OpenForm(
            customer_id=complaint.customer.id,
            customer_name=_unless_erased(complaint.customer.name),
            tier=complaint.customer.tier,
            category=complaint.category,
            kind=complaint.requested.kind,
            amount=str(complaint.requested.amount.amount),
            description=_unless_erased(complaint.description),
        ),
        "form_key": secrets.token_hex(16),
    }


def _unless_erased(text: str | None) -> str:
    """A personal field of a recorded complaint, to send again: empty when erased (its placeholder is no name, no
    words of the customer's, for a new case to record)."""
    return "" if text is None or text == ERASED else text


_STEP_FIELDS: Final = {
    "remedy.kind": "kind",
    "remedy.amount": "amount",
    "amount": "amount",
    "reason": "reason",
    "notes": "notes",
    "summary": "summary",
}


@router.post("/step/{step}/{number:path}")
async def take_step(request: Request, step: str, number: str) -> Response:
    service = _service(request)
    policy = service.policy  # read once: a reload between requests never changes it under this one
    try:
        session, form = await _signed_in_post(request, policy)
    except _RefusedError as refused:
        return refused.response
    return await run_in_threadpool(_take_step, request, service, policy, session, form, step=step, number=number)


def _take_step(
    request: Request, service: Service, policy: Policy, session: Session, form: FormData, *, step: str, number: str
) -> Response:
    """:func:`take_step` once the form is read: in a worker thread (the journal's write, as for a case opened)."""
    if step not in _STEP_LABELS:
        return _error_page(request, session, 404, f"{step!r} is not a step of a case.", "Use the case page's buttons.")
    try:
        case = _load(service, policy, number)
    except ApiProblem as problem:
        status = _STATUS_OF.get(problem.kind, 400)
        return _error_page(request, session, status, problem.detail, "Check the number and try again.")
    values = {name: _text(form, name) for name in ("notes", "reason", "kind", "amount", "alternative_id", "summary")}
    values["step"] = step  # which form a refused one's values and errors are shown back in
    key = _journal_key(session.employee, "console-" + step, str(case.number), _text(form, "key") or None)
    if step not in case.allowed_steps() and service.journal.find(key) is None:
        # A form of a step the case has moved past (Back, another tab), not a copy of one recorded: said before
        # what the form holds is read, since nothing it holds can be recorded now.
        moved_on = WorkflowError(step, case.state.value, case.allowed_steps())
        return _case(
            request, session, service, policy, case, status=409, error=f"The step was not recorded: {moved_on}"
        )
    if step == "manager_denies" and (said_wrong := forbidden_phrases(values["reason"])):
        return _case(
            request,
            session,
            service,
            policy,
            case,
            status=422,
            error="The reason was not recorded: the customer will hear it, so say it in positive words.",
            field_errors={"reason": "\n".join(said_wrong)},
            values=values,
        )
    try:
        _check_actor(case, step, session.employee, policy)
        result = _take(
            case,
            step,
            values,
            level=session.employee.level,
            employee=session.employee.id,
            policy=policy,
            key=key,
            now=service.now(),
        )
    except ApiProblem as problem:
        return _case(
            request, session, service, policy, case, status=_STATUS_OF.get(problem.kind, 400), error=problem.detail
        )
    except IdempotencyConflictError as error:
        case.refresh()
        said = (
            _SENT_BEFORE_ERASURE + " The case as it stands:"
            if error.erased
            else "This form was already sent with other details; nothing new was recorded. The case as it stands:"
        )
        return _case(request, session, service, policy, case, status=409, error=said)
    except InvalidInputError as error:
        case.refresh()
        return _case(
            request,
            session,
            service,
            policy,
            case,
            status=422,
            error="The step was not recorded: " + "; ".join(problem.message for problem in error.problems),
            field_errors=_field_errors(error, _STEP_FIELDS, "form"),
            values=values,
        )
    except RecoveryRulesError as error:
        case.refresh()
        return _case(
            request, session, service, policy, case, status=_status(error), error=f"The step was not recorded: {error}"
        )
    written = case.last_step_recorded
    if isinstance(result, Resolution) and written:  # a form sent twice was logged the first time, if at once too
        _count(service, policy, result, session.employee, "console-" + step, recorded=True)
    elif step == "manager_denies" and written:  # a decision too, as the API counts it
        service.metrics.decisions.labels(outcome=Outcome.DENIED.value, level=session.employee.level).inc()
    return _see(_case_url(case.number) + "?done=" + step)


def _take(
    case: Case,
    step: str,
    values: Mapping[str, str],
    *,
    level: str,
    employee: str,
    policy: Policy,
    key: str,
    now: dt.datetime,
) -> object:
    """Take ``step`` on ``case`` as the signed-in employee: the level and the employee id are the token's."""
    notes = values["notes"]
    if step == "ask_preferred_solution":
        remedy = Remedy(kind=values["kind"], amount=_amount(values["amount"], policy.currency, "remedy.amount"))
        return case.ask_preferred_solution(remedy, notes=notes, employee=employee, key=key, now=now)
    if step == "decide":
        return case.decide(by=level, employee=employee, key=key, now=now)
    if step == "manager_approves":
        offer = values["amount"].strip()
        amount = _amount(offer, policy.currency, "amount") if offer else None  # less than asked: a counter-offer
        return case.manager_approves(by=level, notes=notes, amount=amount, employee=employee, key=key, now=now)
    if step == "manager_denies":
        return case.manager_denies(by=level, reason=values["reason"], employee=employee, key=key, now=now)
    if step == "explain_denial":
        return case.explain_denial(by=level, notes=notes, employee=employee, key=key, now=now)
    if step == "manager_calls":
        return case.manager_calls(by=level, notes=notes, employee=employee, key=key, now=now)
    if step == "accept_alternative":
        return case.accept_alternative(values["alternative_id"], employee=employee, key=key, now=now)
    if step == "write_report":
        return case.write_report(summary=values["summary"], employee=employee, key=key, now=now)
    if step in {"accept_final_offer", "close"}:
        return getattr(case, step)(employee=employee, key=key, now=now)
    return getattr(case, step)(notes=notes, employee=employee, key=key, now=now)


# -- the manager's queue -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class QueueItem:
    number: str
    url: str
    why: str
    state: str
    due: dt.datetime | None
    due_text: str
    overdue: bool
    amount: Decimal
    amount_text: str
    level: str


def _risk(item: QueueItem) -> tuple[int, dt.datetime, Decimal, str]:
    """Newest risk first: overdue before not, the callback due soonest (most overdue) first, then the larger amount."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (0 if item.overdue else 1, item.due or far, -item.amount, item.number)


def _due(due: dt.datetime, now: dt.datetime, policy: Policy, wording: Wording) -> str:
    """When a callback is due, and, while it is still to come, as said at ``now`` ("3:00 this afternoon")."""
    return _when(due, policy) if due < now else f"{_when(due, policy)} ({wording.time(due, now=now)})"


@router.get("/queue")
def queue(request: Request) -> Response:
    service = _service(request)
    policy = service.policy
    session = _session(request, policy)
    if session is None:
        return _to_sign_in()
    if session.rank == 0:
        return _error_page(
            request, session, 403, "The queue is for managers.", "Ask a manager; your cases are on their pages."
        )
    now = service.now()
    wording = Wording(policy)
    late = service.journal.overdue_callbacks(now)  # closed cases too: a personal call stays owed after close
    overdue = {str(summary.number) for summary in late}
    listed = {str(summary.number): summary for summary in service.journal.cases(open_only=True)}
    listed.update((str(summary.number), summary) for summary in late)
    levels = {level.name for level in policy.levels}
    items: list[QueueItem] = []
    for number, summary in listed.items():
        waiting = summary.state in {"escalated", "reported"}
        if not waiting and number not in overdue:
            continue
        view = CaseView.replay(service.journal.events(summary.number))
        if view.state is CaseState.REPORTED and view.called_by is not None and number not in overdue:
            continue  # the personal call the report promised is made: it waits for no manager now
        waits_for: str | None = None  # the level that approves, denies or calls: managers above it are not shown it
        if view.state.value == "escalated":
            level = waits_for = view.escalated_to or view.level
            why = f"Escalated to {level}: approve or deny"
        elif view.state.value == "reported":
            why = "Report written: a manager calls the customer personally"
            level = waits_for = str((view.report or {}).get("to") or policy.denials_delivered_by)
        elif view.report is not None and view.called_by is None:  # thanked or closed, the call still owed
            level = waits_for = str(view.report.get("to") or policy.denials_delivered_by)
            who = policy.level(level).display_name if level in levels else level
            why = f"Personal call overdue (the case is {view.state.value}): {who} calls the customer"
        else:
            why = "Callback overdue"
            level = view.level
        if waits_for in levels and _rank(policy, level) > session.rank:
            continue  # escalated or reported above this manager: theirs to approve, deny or call
        amount = (view.preferred or view.complaint.requested).amount
        due = summary.callback_by
        items.append(
            QueueItem(
                number=number,
                url=_case_url(number),
                why=why,
                state=view.state.value,
                due=due,
                due_text="" if due is None else _due(due, now, policy, wording),
                overdue=number in overdue,
                amount=amount.amount,
                amount_text=wording.money(amount),
                level=level,
            )
        )
    items.sort(key=_risk)
    return _page(request, "queue.html", session, items=items, now=_when(now, policy))


# -- the policy page -----------------------------------------------------------------------------------------
_FORMATS: Final = ("toml", "json", "yaml")


@dataclasses.dataclass(frozen=True, slots=True)
class TryForm:
    level: str = ""
    tier: str = "standard"
    category: str = ""
    kind: str = "refund"
    amount: str = ""
    granted: str = "0"
    now: str = ""
    """When it is decided: blank for now, or a time with its offset (a proof's counterexample at another moment)."""


_TRY_FIELDS: Final = {
    "customer.tier": "tier",
    "category": "category",
    "requested.kind": "kind",
    "requested.amount": "amount",
    "requested": "amount",
    "granted": "granted",
    "by": "level",
    "level": "level",
    "now": "now",
    "received_at": "now",
}
"""The "Try a complaint" form's field of each place a problem is found at (the rest are said under its button)."""


def _served_text(service: Service) -> tuple[str, str]:
    """The served policy's own file, when it came from one and holds it still; else the policy as JSON (a file
    edited since, by a reload refused or none yet, holds another policy than the one the page's note names)."""
    source = service.policy_source
    if source and service.file_holds_the_served_policy():
        try:
            from pathlib import Path  # noqa: PLC0415 - only this page reads the policy's file

            path = Path(source)
            suffix = path.suffix.lower().lstrip(".")
            if path.is_file() and suffix in {"toml", "json", "yaml", "yml"}:
                return path.read_text(encoding="utf-8"), "yaml" if suffix == "yml" else suffix
        except (OSError, UnicodeDecodeError):
            pass
    import json  # noqa: PLC0415 - only this page writes JSON

    return json.dumps(service.policy.model_dump(mode="json", exclude_defaults=True), indent=2), "json"


@router.get("/policy")
def policy_page(request: Request) -> Response:
    service = _service(request)
    session = _session(request, service.policy)
    if session is None:
        return _to_sign_in()
    text, form = _served_text(service)
    return _policy(
        request, session, service, text=text, format=form, trial=TryForm(level=service.policy.levels[0].name)
    )


def _policy(
    request: Request,
    session: Session,
    service: Service,
    *,
    text: str,
    format: str,
    trial: TryForm,
    status: int = 200,
    **results: Any,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "checked": None,
        "problems": [],
        "decision": None,
        "decision_words": "",
        "try_errors": {},
        "alternatives": [],
        "proof": None,
        "proof_refused": None,
    }
    context.update(results)
    return _page(
        request,
        "policy.html",
        session,
        status=status,
        text=text,
        format=format,
        formats=_FORMATS,
        trial=trial,
        served_revision=service.policy.revision,
        **context,
    )


def _moment(text: str) -> dt.datetime:
    """The form's "Decided at": a time with its UTC offset (``2026-11-23T21:29:00-05:00``)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise InvalidInputError.at(
            "form", "now", "must be blank (now) or a time with its UTC offset, such as 2026-11-23T21:29:00-05:00"
        )
    return moment


def _trial_of(found: Counterexample) -> TryForm:
    """The "Try a complaint" form filled with a proof's counterexample."""
    complaint = found.complaint
    granted = found.granted_per_window
    return TryForm(
        level=found.by,
        tier=complaint.customer.tier,
        category=complaint.category,
        kind=complaint.requested.kind,
        amount=str(complaint.requested.amount.amount),
        granted=(
            " ".join(f"{window}={money.amount}" for window, money in granted.items())
            if isinstance(granted, dict)
            else str(granted.amount)
        ),
        now=found.now.isoformat(),
    )


class _ClientLeftError(Exception):
    """The client closed its connection while its proof ran."""


WATCH_EVERY: Final = 0.25
"""How often, in seconds, the policy page looks whether the client of a proof running has left: then the proof
stops after the slice it is deciding (a fraction of a second), and the thread and the one proof a server runs
at a time are free again."""


async def _watch_for_leaving(request: Request, left: threading.Event) -> None:
    """Set ``left`` once the client of ``request`` (whose body has been read) has closed its connection."""
    while not await request.is_disconnected():
        await anyio.sleep(WATCH_EVERY)
    left.set()


def _proved(
    service: Service, policy: Policy, left: threading.Event | None = None
) -> tuple[Proof | None, str | None, int]:
    """The proof of ``policy``, or why the console does not prove it: too large to prove here (more than
    :data:`MAX_PROOF_REGIONS` regions: the shell proves it), another proof running in this process (one at a
    time: each holds a thread for seconds), or the client left while it ran (``left`` set: the proof stops at
    its next slice, and the answer is read by nobody)."""
    # Every slice has a region at least: more slices than the bound are refused before they are made.
    planned_slices = len(grant_windows(policy)) * len(policy.levels) * len(tiers(policy))
    planned_slices *= len(policy.vocabulary) * len(categories(policy))
    regions = MAX_PROOF_REGIONS + 1
    planned = []
    if planned_slices <= MAX_PROOF_REGIONS:  # made one at a time, and no more once the bound is passed
        regions = 0
        for part in each_slice(policy):
            planned.append(part)
            regions += count_regions([part], at_most=MAX_PROOF_REGIONS - regions)
            if regions > MAX_PROOF_REGIONS:
                break
    if regions > MAX_PROOF_REGIONS:
        return (
            None,
            f"Not proved here: this policy has more than {MAX_PROOF_REGIONS:,} regions to decide, the most the "
            "console proves (a proof decides one complaint per region; the Ritz-Carlton preset has about 310,000, "
            "about 35 seconds). Prove it from the shell, which has no bound: recovery-rules prove FILE.",
            422,
        )
    if not service.proving.acquire(blocking=False):
        return None, "Not proved: another proof is running on this server. Try again in a minute.", 503

    def stop_if_left(count: int) -> None:
        if left is not None and left.is_set():
            raise _ClientLeftError

    try:
        return prove(policy, planned=planned, advance=stop_if_left), None, 200
    except _ClientLeftError:
        return None, "Not proved: the request was closed before the proof ended.", 503
    finally:
        service.proving.release()


@router.post("/policy")
async def check_policy(request: Request) -> Response:
    service = _service(request)
    try:
        # A browser sends the form URL-encoded, each byte outside ASCII (and most punctuation) as three: read up to
        # three times the bound, then bound the policy itself, as /v1/policy/check does, by its UTF-8 bytes.
        session, form = await _signed_in_post(request, service.policy, largest=3 * MAX_FORM_FIELD + 64)
    except _RefusedError as refused:
        return refused.response
    # Reading a policy of megabytes and proving it are work of seconds: in a worker thread, off the event loop.
    if _text(form, "action") != "prove":
        return await run_in_threadpool(_check_policy, request, service, session, form)
    left = threading.Event()  # a proof stops if its client leaves: nobody would read it
    async with anyio.create_task_group() as watching:
        watching.start_soon(_watch_for_leaving, request, left)
        response = await run_in_threadpool(_check_policy, request, service, session, form, left)
        watching.cancel_scope.cancel()
    return response


def _check_policy(
    request: Request, service: Service, session: Session, form: FormData, left: threading.Event | None = None
) -> Response:
    text = _text(form, "policy")
    format = _text(form, "format", "toml")
    trial = TryForm(**{field.name: _text(form, field.name).strip() for field in dataclasses.fields(TryForm)})
    if format not in _FORMATS:
        format = "toml"
    page = functools.partial(_policy, request, session, service, text=text, format=format, trial=trial)
    problems: list[dict[str, str]] = []
    checked: Policy | None = None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FORM_FIELD:
        said = f"is {size:,} bytes; the most the page reads is {MAX_FORM_FIELD:,}: check it with recovery-rules check"
        return page(status=422, problems=[{"line": "", "path": "(the whole policy)", "message": said}], checked=False)
    try:
        checked = Policy.from_text(text, format=format)  # type: ignore[arg-type]  # one of _FORMATS
    except PolicyError as error:
        problems = [
            {
                "line": "" if problem.line is None else f"line {problem.line}",
                "path": problem.location or "(the whole policy)",
                "message": problem.message,
            }
            for problem in sorted(error.problems, key=lambda problem: problem.line or 0)
        ]
    except RecoveryRulesError as error:
        problems = [{"line": "", "path": "(the whole policy)", "message": str(error)}]
    if checked is None:
        return page(status=422, problems=problems, checked=False)
    if _text(form, "action") == "prove":  # seconds: one decision per region of the policy's input space
        verdict, refused, status = _proved(service, checked, left)
        found = None if verdict is None else verdict.counterexample
        if found is not None:  # the form below is filled with it: "Decide" runs it again
            trial = _trial_of(found)
        return page(status=status, checked=checked, proof=verdict, proof_refused=refused, trial=trial)
    if _text(form, "action") != "try":
        return page(checked=checked)
    # Every field is read, each problem kept, so that a trial with several wrong fields says each at its field
    # (a field that is wrong is read as a stand-in, so that the others are still checked).
    wrong: list[InvalidInputError] = []

    def read(reading: Callable[[], Any], stand_in: Any) -> Any:
        try:
            return reading()
        except InvalidInputError as error:
            wrong.append(error)
            return stand_in

    service_now = service.now()
    now = read(lambda: _moment(trial.now) if trial.now else service_now, service_now)
    amount = read(lambda: _amount(trial.amount, checked.currency, "requested.amount"), Money.zero(checked.currency))
    granted = read(lambda: _granted(trial.granted, checked), Money.zero(checked.currency))
    body = {
        "customer": {"id": "trial", "tier": trial.tier or "standard"},
        "category": trial.category,
        "requested": {"kind": trial.kind, "amount": amount},
        "received_at": now,
    }
    complaint = read(lambda: Complaint.model_validate(body), None)
    by = trial.level or checked.levels[0].name
    if complaint is not None:
        resolution = read(lambda: checked.decide(complaint, by=by, granted=granted, now=now), None)
    elif by not in {level.name for level in checked.levels}:  # said by decide, which has no complaint to read
        names = ", ".join(level.name for level in checked.levels)
        wrong.append(InvalidInputError.at("form", "by", f"the policy has no level named {by!r}; use one of: {names}"))
    if wrong:
        trial_problems = InvalidInputError("trial", [problem for each in wrong for problem in each.problems])
        try_errors = _field_errors(trial_problems, _TRY_FIELDS, "try")
        return page(status=422, checked=checked, try_errors=try_errors)
    wording = Wording(checked)
    return page(
        checked=checked,
        decision=resolution,
        decision_words=wording.say(resolution),
        alternatives=[_option(item, wording) for item in resolution.alternatives],
    )
