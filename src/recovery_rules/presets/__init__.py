"""Ready-made policies, shipped as TOML files inside the package.

Each is a complete, documented policy to start from: copy its file (see
:func:`path`) and change what differs in your business.

- :func:`ritz_carlton`: a hotel where every staff member may spend up to
  $2,000 per guest per incident, no approval needed.
- :func:`retail`: a shop whose Plan B for an out-of-stock item is another
  branch, a backorder with a callback, or a competitor's address.
- :func:`theme_park`: a park that plans for rain: credits, plus suggestions of
  what to do instead.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Final

from recovery_rules._policy._policy import Policy
from recovery_rules._values._shown import LONGEST, shown
from recovery_rules.exceptions import InvalidInputError

__all__ = ["NAMES", "load", "path", "retail", "ritz_carlton", "theme_park"]

NAMES: Final = ("ritz-carlton", "retail", "theme-park")
"""The name of every shipped preset."""


def path(name: str) -> Path:
    """The TOML file of the preset called ``name`` (``"ritz-carlton"``, ``"retail"``, ``"theme-park"``).

    The name of the preset's function is accepted too (``"ritz_carlton"``).
    """
    known = name.replace("_", "-") if isinstance(name, str) else ""
    if known not in NAMES:
        close = difflib.get_close_matches(known, NAMES, n=1) if len(known) <= LONGEST else []
        hint = f"did you mean {close[0]!r}? The presets are" if close else "use one of"
        given = (
            f"there is no preset {shown(name)}"
            if isinstance(name, str)
            else f"must be the name of a preset, a string, not {shown(name)}"
        )
        raise InvalidInputError.at("preset", "name", f"{given}; {hint}: {', '.join(NAMES)}")
    return Path(str(resources.files(__name__).joinpath(known.replace("-", "_") + ".toml")))


def load(name: str) -> Policy:
    """The preset called ``name`` as a :class:`~recovery_rules.Policy`."""
    return Policy.from_file(path(name))


def ritz_carlton() -> Policy:
    """A hotel where every staff member may grant up to $2,000.00 per guest per incident."""
    return load("ritz-carlton")


def retail() -> Policy:
    """A shop whose Plan B covers out-of-stock items: another branch, a callback, a competitor."""
    return load("retail")


def theme_park() -> Policy:
    """A theme park whose approvals for a rained-out day come with ideas of what to do instead."""
    return load("theme-park")
