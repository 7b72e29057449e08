"""``report --chart``: the report as a PNG image, for people who would rather look than read.

Drawn with matplotlib (the ``chart`` extra), imported only when a chart is
asked for. It draws on its own ``Figure`` with the Agg canvas: no pyplot, no
global backend switch, no window. The image is deterministic: a fixed size,
the fonts matplotlib ships, and no timestamp or software version in the PNG's
metadata, so the same report gives the same file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from recovery_rules import CaseOutcome, MissingDependencyError, Outcome
from recovery_rules.cli._console import counted
from recovery_rules.cli._errors import CliInputError, why_unusable
from recovery_rules.cli._inputs import file_name_given, show_time
from recovery_rules.metrics import CAP_BANDS, Report, percent

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SIZE", "chart_file", "write_chart"]

SIZE: Final = (1500, 1000)
"""The image's width and height in pixels."""
_DPI: Final = 100
_COLOURS: Final = {
    Outcome.APPROVED: "#2e7d32",
    Outcome.ESCALATED: "#f9a825",
    Outcome.DENIED: "#c62828",
    "undecided": "#9e9e9e",
}
_ACCENT: Final = "#1565c0"
_FONT: Final = 10


def write_chart(report: Report, path: str) -> None:
    """Draw ``report`` into the PNG file ``path``, replacing it whole or not at all.

    Text is drawn as written: a ``$`` in a policy's name is a dollar sign, not
    the start of a formula (matplotlib's mathtext is off).
    """
    target = chart_file(path)
    try:
        import matplotlib  # noqa: PLC0415 - the chart extra, only when a chart is asked for
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - the chart extra, when asked
        from matplotlib.figure import Figure  # noqa: PLC0415 - the chart extra, only when a chart is asked for
    except ImportError:
        raise MissingDependencyError("report --chart", "chart", "matplotlib") from None

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        figure = Figure(figsize=(SIZE[0] / _DPI, SIZE[1] / _DPI), dpi=_DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(_title(report), fontsize=_FONT + 4)
        grid = figure.subplots(2, 3)
        _rates(grid[0][0], report)
        _first_decisions(grid[0][1], report)
        _resolution_times(grid[0][2], report)
        _granted(grid[1][0], report)
        _cap_share(grid[1][1], report)
        _callbacks(grid[1][2], report)
        _save(figure, target, path)


def chart_file(path: str) -> Path:
    """The PNG file ``--chart`` names, once it is seen that it can be written there: an error otherwise (an empty
    name, another kind of file, a folder that is not there). Needs no matplotlib: checked before the report."""
    file_name_given(path, "--chart", "give the PNG file to draw the report in (--chart report.png)")
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise CliInputError(f"--chart: {path} must be a .png file")
    try:
        folder = target.parent.is_dir()
    except (OSError, ValueError):  # a name too long, or with a NUL in it
        folder = False
    if not folder:
        raise CliInputError(f"--chart: there is no folder {target.parent} to write {target.name} in")
    return target


def _save(figure: Any, target: Path, path: str) -> None:
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("xb") as stream:
            figure.savefig(stream, format="png", dpi=_DPI, metadata={"Software": None})
        os.replace(temporary, target)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        with contextlib.suppress(OSError, ValueError):
            temporary.unlink(missing_ok=True)
        reason = why_unusable(error)
        raise CliInputError(f"--chart: cannot write {path}: {reason}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _title(report: Report) -> str:
    policies = ", ".join(sorted(report.policies)) or "No policy"
    now = report.period.now
    period = "".join(
        f" {word} {show_time(moment, now.tzinfo, '%Y-%m-%d %H:%M')}"
        for word, moment in (("opened from", report.period.since), ("until", report.period.until))
        if moment is not None
    )
    return f"{policies}: {counted(report.cases.total, 'case')}{period}, as of {now:%Y-%m-%d %H:%M %Z}"


def _empty(axes: Axes, title: str) -> None:
    axes.set_title(title, fontsize=_FONT + 2, loc="left")
    axes.text(0.5, 0.5, "no cases", ha="center", va="center", fontsize=_FONT, color="#757575")
    axes.set_axis_off()


def _bars(axes: Axes, labels: list[str], values: list[float], texts: list[str], colour: Any = _ACCENT) -> None:
    """Horizontal bars, first label on top, each with its figure written after it."""
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color=colour, height=0.6)
    axes.set_yticks(positions, labels, fontsize=_FONT)
    _labels(axes, positions, values, texts)


def _labels(axes: Axes, positions: list[int], values: list[float], texts: list[str], room: float = 1.4) -> None:
    """Write each bar's figure after it, leaving room on the right for the longest (``room`` times the longest bar)."""
    top = max(values, default=0.0) or 1.0
    axes.set_xlim(0, top * room)
    for position, value, text in zip(positions, values, texts, strict=True):
        axes.text(value + top * 0.02, position, text, va="center", fontsize=_FONT - 1)
    _plain(axes)


def _plain(axes: Axes) -> None:
    axes.tick_params(labelsize=_FONT - 1)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


_RATE_NAMES: Final = {
    "escalation": "escalation rate",
    "denial": "denial rate",
    "alternative_accepted": "alternative accepted",
    "final_offer_accepted": "final offer accepted",
    "callback_kept": "callbacks kept",
}


def _rates(axes: Axes, report: Report) -> None:
    rates = [(key, name, getattr(report.rates, key)) for key, name in _RATE_NAMES.items()]
    labels = [name for _, name, _ in rates]
    values = [float(rate.value) * 100 if rate.value is not None else 0.0 for _, _, rate in rates]
    texts = [f"{rate.percent()} ({rate.count} of {rate.of})" for _, _, rate in rates]
    _bars(axes, labels, values, texts)
    axes.set_xlim(0, 135)
    axes.set_xlabel("%", fontsize=_FONT)
    axes.set_title("Rates", fontsize=_FONT + 2, loc="left")


def _first_decisions(axes: Axes, report: Report) -> None:
    categories = list(report.per_category.items())
    if not categories:
        _empty(axes, "First decisions per category")
        return
    names = [name for name, _ in categories]
    positions = list(range(len(names)))[::-1]
    left = [0] * len(names)
    keys: list[Outcome | str] = [*Outcome, "undecided"]
    for key in keys:
        if isinstance(key, Outcome):
            counts = [getattr(figures, key.value) for _, figures in categories]
        else:
            counts = [figures.cases - figures.decisions for _, figures in categories]
        label = key.value if isinstance(key, Outcome) else key
        axes.barh(positions, counts, left=left, color=_COLOURS[key], height=0.6, label=label)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_yticks(positions, [name.replace("_", " ") for name in names], fontsize=_FONT)
    _plain(axes)
    axes.legend(fontsize=_FONT - 1, frameon=False, loc="lower right")
    axes.set_xlabel("cases", fontsize=_FONT)
    axes.set_title("First decisions per category", fontsize=_FONT + 2, loc="left")


def _resolution_times(axes: Axes, report: Report) -> None:
    spreads = [(outcome, report.time_to_resolution[outcome.value]) for outcome in CaseOutcome]
    outcomes = [(outcome, spread) for outcome, spread in spreads if spread.cases]
    if not outcomes:
        _empty(axes, "Time to resolution (hours)")
        return
    labels = [outcome.value.replace("_", " ") for outcome, _ in outcomes]
    medians, p90s = [], []
    for _, spread in outcomes:
        medians.append(spread.median or dt.timedelta(0))
        p90s.append(spread.p90 or dt.timedelta(0))
    positions = list(range(len(labels)))[::-1]
    hours = [time.total_seconds() / 3600 for time in p90s]
    axes.barh([p + 0.18 for p in positions], [t.total_seconds() / 3600 for t in medians], height=0.35, color=_ACCENT)
    axes.barh([p - 0.18 for p in positions], hours, height=0.35, color="#90caf9")
    axes.set_yticks(positions, labels, fontsize=_FONT)
    texts = [f"median {_hours(m)}\n90% within {_hours(p)}" for m, p in zip(medians, p90s, strict=True)]
    _labels(axes, positions, hours, texts, room=1.9)
    axes.set_xlabel("hours from opening", fontsize=_FONT)
    axes.set_title("Time to resolution", fontsize=_FONT + 2, loc="left")


def _hours(time: dt.timedelta) -> str:
    minutes = round(time.total_seconds() / 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _granted(axes: Axes, report: Report) -> None:
    levels = [(name, figures) for name, figures in report.per_level.items() if figures.grants and figures.granted]
    if not levels:
        _empty(axes, "Granted per level")
        return
    values = [float(figures.granted.amount) for _, figures in levels if figures.granted]
    texts = [f"{figures.granted.display()} ({figures.grants})" for _, figures in levels if figures.granted]
    _bars(axes, [name.replace("_", " ") for name, _ in levels], values, texts)
    axes.set_xlabel(f"granted ({report.currency or ''}; number of grants)", fontsize=_FONT)
    axes.set_title("Granted per level", fontsize=_FONT + 2, loc="left")


def _cap_share(axes: Axes, report: Report) -> None:
    share = report.cap_share
    noun = share.customer_noun.replace("_", " ")  # a word of the policy: walk_in is "walk in"
    if not share.guests or share.max is None:
        _empty(axes, f"Share of the cap used per {noun}")
        return
    bands = share.bands
    names = [name for name, _ in CAP_BANDS]
    axes.bar(range(len(names)), [bands[name] for name in names], color=_ACCENT, width=0.7)
    axes.set_xticks(range(len(names)), [name.replace("up to ", "up to\n") for name in names], fontsize=_FONT - 1)
    axes.set_ylabel(f"{noun}s", fontsize=_FONT)
    caps = ", ".join(cap.display() for cap in sorted(set(share.caps.values()), key=str))
    axes.set_title(f"Share of the cap used per {noun} (cap {caps})", fontsize=_FONT + 2, loc="left")
    axes.set_xlabel(f"highest {percent(share.max)}", fontsize=_FONT)
    _plain(axes)


def _callbacks(axes: Axes, report: Report) -> None:
    names = ["kept", "late", "overdue", "pending"]
    counts = [getattr(report.callbacks, name) for name in names]
    if not any(counts):
        _empty(axes, "Callbacks promised")
        return
    colours = ["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"]
    _bars(axes, names, [float(count) for count in counts], [str(count) for count in counts], colours)
    axes.set_xlabel("callbacks", fontsize=_FONT)
    axes.set_title("Callbacks promised", fontsize=_FONT + 2, loc="left")
