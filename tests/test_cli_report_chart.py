"""``recovery-rules report --chart``: the report as a PNG image."""

from __future__ import annotations

import os
import shutil
import struct
import sys
import zlib
from pathlib import Path

import pytest

from recovery_rules import SQLiteJournal
from recovery_rules.cli._verbs.report._chart import SIZE

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
