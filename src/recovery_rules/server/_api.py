"""The ``/v1`` routes: decide, open a case, take each step of its path, read it, overdue callbacks, the
report, check a policy. Every route but the policy check needs a bearer token; the level acting is the token's.
"""

from __future__ import annotations

from fastapi import APIRouter

from ._deps import CurrentEmployee, CurrentService
from ._models import DecideRequest, DecisionResponse

__all__ = ["router"]

router = APIRouter(prefix="/v1")


@router.post("/decisions", tags=["decisions"], summary="Decide a complaint (pure: nothing is recorded)")
def decide(body: DecideRequest, employee: CurrentEmployee, service: CurrentService) -> DecisionResponse:
    policy = service.policy
    now = service.now()
    resolution = policy.decide(body.complaint, by=employee.level, granted=body.granted, now=now)
    service.metrics.decisions.labels(outcome=resolution.outcome.value, level=employee.level).inc()
    service.decisions.record(
        at=now, revision=policy.revision, resolution=resolution, employee=employee.id, route="decide", recorded=False
    )
    return DecisionResponse(
        policy_revision=policy.revision, complaint_number=str(resolution.complaint_number), resolution=resolution
    )
