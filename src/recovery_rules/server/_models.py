"""The request and response bodies of the ``/v1`` API.

Requests are :class:`~recovery_rules.RecoveryModel` subclasses, so they refuse unknown fields (a ``by`` field
included: the acting level is the token's) and report problems in the library's words.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from recovery_rules import Complaint, Money, RecoveryModel, Resolution

__all__ = ["DecideRequest", "DecisionResponse"]


class DecideRequest(RecoveryModel):
    """A complaint to decide with the token's authority."""

    complaint: Complaint
    granted: Money | None = Field(
        default=None,
        description="What the customer was already granted within the policy's window (zero when left out); "
        "the service keeps no ledger for a decision that is not part of a case.",
    )


class DecisionResponse(BaseModel):
    """A decision: the resolution, with the policy revision that made it and the complaint number."""

    policy_revision: str = Field(description="The SHA-256 revision of the policy that decided.")
    complaint_number: str = Field(description="The complaint number, such as 20261123-10442.")
    resolution: Resolution
