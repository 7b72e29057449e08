"""What a route asks FastAPI for: the service, and the employee signed in with the request's bearer token.

``employee`` is the dependency every ``/v1`` operation takes (``/v1/policy/check`` too): the level comes from the
token, never from the body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ._auth import Employee
from ._problems import ApiProblem, FieldProblem
from ._service import Service

__all__ = ["CurrentEmployee", "CurrentService", "current_employee", "current_service"]

_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="A token from the token file: `Authorization: Bearer rr_...`. It names the employee and level.",
)
_CHALLENGE = 'Bearer realm="recovery-rules"'


def current_service(request: Request) -> Service:
    """The app's :class:`Service`."""
    service: Service = request.app.state.service
    return service


CurrentService = Annotated[Service, Depends(current_service)]


def current_employee(
    service: CurrentService,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> Employee:
    """The employee whose token the request carries; a 401 without a valid one, a 403 if their level is unknown."""
    if credentials is None:
        raise ApiProblem(
            "unauthenticated",
            "send the employee's token in an Authorization header: 'Authorization: Bearer <token>'",
            [FieldProblem(pointer="", field="Authorization", detail="is missing or not a Bearer token")],
            headers={"WWW-Authenticate": _CHALLENGE},
        )
    employee = service.tokens.employee(credentials.credentials)
    if employee is None:
        raise ApiProblem(
            "unauthenticated",
            "the bearer token is not one the service knows; ask for a token from the token file's keeper",
            [FieldProblem(pointer="", field="Authorization", detail="is not a valid token")],
            headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'},
        )
    if employee.level not in {level.name for level in service.policy.levels}:
        raise ApiProblem(
            "forbidden",
            f"the token's level {employee.level!r} is not a level of the policy being served; "
            "the token file and the policy must name the same levels",
        )
    return employee


CurrentEmployee = Annotated[Employee, Depends(current_employee)]
