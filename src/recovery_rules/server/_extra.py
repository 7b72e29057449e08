"""What a missing module of the ``server`` extra becomes: a :class:`~recovery_rules.MissingDependencyError`."""

from __future__ import annotations

from typing import Final

from recovery_rules.exceptions import MissingDependencyError

_EXTRA: Final = frozenset(
    {
        "fastapi",
        "fastapi_offline",
        "jinja2",
        "multipart",
        "prometheus_client",
        "python_multipart",
        "starlette",
        "uvicorn",
    }
)
"""The top-level modules of the ``server`` extra that this package imports, itself or through them."""


def without_extra(error: ModuleNotFoundError) -> Exception:
    """The error to raise for ``error``: which extra to install, when it is a module of the ``server`` extra that
    is missing; ``error`` itself otherwise (a module of the library missing is not the host's to install)."""
    missing = (error.name or "").partition(".")[0]
    if missing not in _EXTRA:
        return error
    return MissingDependencyError("recovery_rules.server", "server", missing)
