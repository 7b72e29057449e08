"""The decision service: the library over HTTP, for host apps in any language (``recovery-rules serve``).

Needs the ``server`` extra (``pip install 'recovery-rules[server]'``: FastAPI, uvicorn, Jinja2,
prometheus-client). The core library never imports this package.

- :func:`create_app` makes the FastAPI app of a policy, a journal and the tokens of who may act;
  :func:`app_from_environment` makes it from :class:`Settings` in the environment (the factory each uvicorn
  worker of ``recovery-rules serve`` runs).
- :class:`Tokens` reads a token file (hashes of bearer tokens, each with an employee id and a level);
  :func:`mint_token` makes a token and its hash. The console's sessions are signed with a session key
  (:func:`load_session_key` reads one from a file) and last ``session_lifetime`` (12 hours by default).
- :class:`Service` is what a route reads (``request.app.state.service``): the policy of the moment, the
  journal, the clock; :meth:`Service.reload` reads the policy again (SIGHUP does it).

The API is under ``/v1``; its OpenAPI 3.1 document is at ``/v1/openapi.json``. See the how-to page
"Run the decision service".
"""

from __future__ import annotations

from ._extra import without_extra

try:
    from ._app import app_from_environment, create_app, openapi_document
    from ._auth import Employee, Tokens, hash_token, mint_token, token_entry
    from ._deps import CurrentEmployee, CurrentService, current_employee, current_service
    from ._problems import ApiProblem, FieldProblem, ProblemDetails
    from ._run import add_token, demo_tokens, run
    from ._service import ReloadResult, Service
    from ._settings import Settings, load_ledger_key, load_policy, load_session_key, open_journal
except ModuleNotFoundError as error:  # the extra is not installed: say which, as every optional part does
    raise without_extra(error) from None

__all__ = [
    "ApiProblem",
    "CurrentEmployee",
    "CurrentService",
    "Employee",
    "FieldProblem",
    "ProblemDetails",
    "ReloadResult",
    "Service",
    "Settings",
    "Tokens",
    "add_token",
    "app_from_environment",
    "create_app",
    "current_employee",
    "current_service",
    "demo_tokens",
    "hash_token",
    "load_ledger_key",
    "load_policy",
    "load_session_key",
    "mint_token",
    "open_journal",
    "openapi_document",
    "run",
    "token_entry",
]
