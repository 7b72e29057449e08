"""Options several verbs share, so they read the same everywhere."""

from __future__ import annotations

from typing import Final

import click

__all__ = ["POLICY_HELP", "json", "policy"]

POLICY_HELP: Final = "A policy file (.toml, .json, .yaml) or a preset: ritz-carlton, retail, theme-park."

policy = click.option("--policy", "-p", "policy", required=True, metavar="POLICY", help=POLICY_HELP)
"""``--policy POLICY``."""

json = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
"""``--json``: machine-readable output."""
