"""``recovery-rules report --chart``: the report as a PNG image."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from recovery_rules import SQLiteJournal
from recovery_rules.cli._verbs.report._chart import SIZE, _hours, chart_file

from ._cli import ROOT, run
from ._journal_files import JOURNAL, REPORT_NOW

pytest.importorskip("matplotlib", reason="the chart needs the chart extra, which dev installs")

DOCS_CHART = ROOT / "docs" / "cli" / "report-chart.png"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG file, each CRC checked."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, body = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        found.append((kind, body))
        offset += 12 + length
    return found


def check_png(png: bytes) -> None:
    found = chunks(png)
    kinds = [kind for kind, _ in found]
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    width, height = struct.unpack(">II", found[0][1][:8])
    assert (width, height) == SIZE
    assert not {b"tIME", b"tEXt", b"iTXt", b"zTXt"} & set(kinds), "no timestamp or software version"
    pixels = zlib.decompress(b"".join(body for kind, body in found if kind == b"IDAT"))
    assert len(set(pixels)) > 16, "something is drawn"


@pytest.mark.slow
def test_the_chart_is_a_png_of_the_promised_size(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.png"
    result = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--chart", str(target))
    assert result.code == 0, result.err
    assert result.out.startswith("36 cases from")  # the table still goes to standard output
    assert result.err == f"chart written to {target}\n"
    check_png(target.read_bytes())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.png"], "no temporary file left behind"


@pytest.mark.slow
def test_the_same_report_draws_the_same_image(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    images = []
    for name in ("first.png", "second.png"):
        assert run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--chart", str(tmp_path / name)).code == 0
        images.append((tmp_path / name).read_bytes())
    assert images[0] == images[1]
    json_run = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--json", "--chart", str(tmp_path / "third.png"))
    assert json_run.code == 0
    assert json_run.out.startswith("{")
    assert (tmp_path / "third.png").read_bytes() == images[0]


def test_an_empty_journal_draws_an_empty_chart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    SQLiteJournal(path).close()
    assert run(capsys, "report", str(path), "--now", REPORT_NOW, "--chart", str(tmp_path / "empty.png")).code == 0
    check_png((tmp_path / "empty.png").read_bytes())


@pytest.mark.slow
def test_no_pyplot_and_no_backend_switch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - only once the chart extra is known to be installed

    backend = matplotlib.get_backend()
    had_pyplot = "matplotlib.pyplot" in sys.modules
    assert run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--chart", str(tmp_path / "r.png")).code == 0
    assert matplotlib.get_backend() == backend
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_without_matplotlib_the_error_names_the_extra(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what `import matplotlib` finds when it is not installed
    target = tmp_path / "report.png"
    result = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--chart", str(target))
    assert result.code == 2
    assert result.out == ""
    assert "report --chart needs the optional dependency 'matplotlib'" in result.err
    assert "pip install 'recovery-rules[chart]'" in result.err
    assert not target.exists()
    assert run(capsys, "report", JOURNAL, "--now", REPORT_NOW).code == 0, "the rest of the report needs no matplotlib"


def test_a_failed_write_leaves_nothing_behind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure  # noqa: PLC0415 - only once the chart extra is known to be installed

    target = tmp_path / "report.png"
    target.write_bytes(b"the chart of last month")

    def full_disk(self: Figure, stream: object, **options: object) -> None:
        stream.write(b"\x89PNG half")  # type: ignore[attr-defined]  # a binary file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    result = run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--chart", str(target))
    assert result.code == 2
    assert result.out == ""
    assert "--chart: cannot write" in result.err
    assert "No space left on device" in result.err
    assert target.read_bytes() == b"the chart of last month", "the old file is kept whole"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.png"]


def test_the_documentation_shows_the_chart(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """docs/cli/report.md shows the sample journal's chart; RECOVERY_RULES_UPDATE_DOCS=1 draws it again."""
    if os.environ.get("RECOVERY_RULES_UPDATE_DOCS") == "1":
        drawn = tmp_path / "report-chart.png"
        assert run(capsys, "report", JOURNAL, "--now", REPORT_NOW, "--chart", str(drawn)).code == 0
        shutil.copyfile(drawn, DOCS_CHART)
    check_png(DOCS_CHART.read_bytes())
    assert f"]({DOCS_CHART.name})" in (ROOT / "docs" / "cli" / "report.md").read_text(encoding="utf-8")


def test_the_chart_draws_what_the_report_says(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart's title gives the period in the time zone of --now, as the table does, and its rates are
    percentages: each bar as long as the rate the report gives."""
    from matplotlib.axes import Axes  # noqa: PLC0415 - only once the chart extra is known to be installed
    from matplotlib.figure import Figure  # noqa: PLC0415 - only once the chart extra is known to be installed

    titles: list[str] = []
    bars: list[list[float]] = []
    suptitle, barh = Figure.suptitle, Axes.barh

    def record_title(self: Figure, text: str, **options: Any) -> Any:
        titles.append(text)
        return suptitle(self, text, **options)

    def record_bars(self: Axes, y: Any, width: Any, *more: Any, **options: Any) -> Any:
        bars.append([float(value) for value in width])
        return barh(self, y, width, *more, **options)

    monkeypatch.setattr(Figure, "suptitle", record_title)
    monkeypatch.setattr(Axes, "barh", record_bars)
    argv = ["report", JOURNAL, "--now", REPORT_NOW, "--since", "2026-11-01"]
    assert run(capsys, *argv, "--chart", str(tmp_path / "report.png")).code == 0
    rates = json.loads(run(capsys, *argv, "--json").out)["rates"]
    (title,) = titles
    assert " opened from 2026-11-01 00:00, as of 2026-11-23 15:20 " in title  # midnight at -05:00, not in UTC
    names = ("escalation", "denial", "alternative_accepted", "final_offer_accepted", "callback_kept")
    assert bars[0] == pytest.approx([rates[name]["rate"] * 100 for name in names], abs=0.01)


def test_a_time_to_resolution_of_an_hour_or_more_is_in_hours_and_minutes() -> None:
    """The chart writes a duration under an hour in minutes, and one of an hour or more (60 minutes included,
    rounded or not) in hours and minutes."""
    minutes = [0, 59, 60, 61, 125]
    assert [_hours(dt.timedelta(minutes=count)) for count in minutes] == ["0m", "59m", "1h 00m", "1h 01m", "2h 05m"]
    assert _hours(dt.timedelta(minutes=59, seconds=45)) == "1h 00m"


def test_the_chart_file_may_end_in_png_in_capitals(tmp_path: Path) -> None:
    """``--chart REPORT.PNG`` is a PNG file as ``report.png`` is: the extension is read in any case."""
    assert chart_file(str(tmp_path / "REPORT.PNG")) == tmp_path / "REPORT.PNG"
