"""Files a user names are read safely: regular files only, never more than the cap, typed errors only.

A policy, complaint, test-cases or recorded-complaints path may name a FIFO
(opening it for reading waits for a writer, forever), a device (``/dev/zero``
never ends), a directory, a symbolic link to any of them, or a sparse file that
claims gigabytes. Each is refused at once with a typed error (the command line
exits with 2), and at most the cap plus one byte is read whatever the file's
size says. Values the parsers themselves cannot build (an integer of 5,000
digits, a YAML list used as a key) are typed, located errors too.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading
import time
import tomllib
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recovery_rules import InvalidInputError, Policy, PolicyError, files, presets
from recovery_rules._policy._file import MAX_POLICY_BYTES
from recovery_rules._policy._locate import source_map
from recovery_rules.files import read_regular_file

from ._cli import CASES, COMPLAINT, NOW, POLICY, RECORDS, run

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")

RITZ = presets.path("ritz-carlton")
RITZ_TEXT = RITZ.read_text(encoding="utf-8")
HUGE = "9" * 5000
QUICK = 10.0
"""Seconds a refusal may take at the most on a busy machine; a hang or a read of gigabytes takes far longer."""


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Make FIFOs; if a reader blocks on one (the defect), a writer opens and closes it after a while.

    So a regression fails the test (the reader sees an empty file) instead of hanging the suite.
    """
    made: list[Path] = []
    done = threading.Event()

    def unblock() -> None:
        while not done.wait(QUICK):
            for path in made:
                with contextlib.suppress(OSError):  # opens only while a reader waits on the FIFO
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()

    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        made.append(path)
        return path

    yield make
    done.set()
    watchdog.join()


def not_regular(kind: str, tmp_path: Path, fifo: Callable[[str], Path], suffix: str) -> Path:
    """A path of ``kind`` that is not a regular file, named like a file of ``suffix``."""
    path = tmp_path / f"{kind}{suffix}"
    if kind == "fifo":
        return fifo(path.name)
    if kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "link-to-fifo":
        path.symlink_to(fifo(f"target-{kind}{suffix}"))
    elif kind == "directory":
        path.mkdir()
    else:  # pragma: no cover - a kind the parametrization does not use
        raise AssertionError(kind)
    return path


KINDS = ["fifo", "link-to-dev-zero", "link-to-fifo", "directory"]
WHAT = {
    "fifo": "a named pipe (FIFO)",
    "link-to-dev-zero": "a character device",
    "link-to-fifo": "a named pipe (FIFO)",
    "directory": "a directory",
}


def bounded(call: Callable[[], object]) -> tuple[BaseException | None, float, int]:
    """Run ``call``: what it raised (or None), the seconds it took and the peak bytes Python allocated."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call()
    except Exception as error:  # returned to the caller, which checks its type
        raised: BaseException | None = error
    else:
        raised = None
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return raised, seconds, peak


# -- the library: Policy.from_file ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml"])
def test_a_policy_path_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, fifo: Callable[[str], Path], kind: str, suffix: str
) -> None:
    path = not_regular(kind, tmp_path, fifo, suffix)
    raised, seconds, peak = bounded(lambda: Policy.from_file(path))
    assert isinstance(raised, PolicyError), raised
    assert f"is not a regular file: it is {WHAT[kind]}" in str(raised)
    assert raised.source == str(path)
    assert seconds < QUICK
    assert peak < 8 * 2**20


def test_a_huge_sparse_policy_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "sparse.toml"
    with path.open("wb") as stream:
        stream.truncate(10 * 2**30)  # 10 GB of holes: no disk space, all of it readable zeros
    raised, seconds, peak = bounded(lambda: Policy.from_file(path))
    assert isinstance(raised, PolicyError)
    assert "is 10,737,418,240 bytes; the most is 5,000,000" in str(raised)
    assert seconds < QUICK
    assert peak < 8 * 2**20


def test_a_policy_text_of_the_most_characters_loads_and_one_more_is_refused() -> None:
    """``Policy.from_text`` takes a text as long as a policy file may be (5,000,000 characters, a comment
    filling it up) and refuses one character more, saying the most."""
    padded = RITZ_TEXT + "# " + "x" * (MAX_POLICY_BYTES - len(RITZ_TEXT) - 3) + "\n"
    assert len(padded) == MAX_POLICY_BYTES
    assert Policy.from_text(padded).name == Policy.from_text(RITZ_TEXT).name
    with pytest.raises(PolicyError) as raised:
        Policy.from_text(padded + " ")
    assert [problem.message for problem in raised.value.problems] == ["is longer than 5,000,000 characters"]


def test_at_most_the_cap_is_read_whatever_the_size_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A size that lies (``/proc`` files say 0; a file can grow after the check) does not lift the cap."""
    path = tmp_path / "growing.toml"
    with path.open("wb") as stream:
        stream.truncate(1 << 30)
    real_fstat = os.fstat

    def lying(descriptor: int) -> os.stat_result:
        found = real_fstat(descriptor)
        return os.stat_result((found.st_mode, *found[1:6], 0, *found[7:]))  # st_size 0, the rest unchanged

    monkeypatch.setattr(os, "fstat", lying)
    raised, _, peak = bounded(lambda: read_regular_file(path, limit=1_000_000))
    assert isinstance(raised, InvalidInputError)
    assert "is larger than 1,000,000 bytes" in str(raised)
    assert peak < 4 * 1_000_000  # what was read (the cap and one byte), joined once: never the whole gigabyte
    raised, _, peak = bounded(lambda: Policy.from_file(path))
    assert isinstance(raised, PolicyError)
    assert f"is larger than {MAX_POLICY_BYTES:,} bytes" in str(raised)
    assert peak < 4 * MAX_POLICY_BYTES


def test_a_fifo_swapped_in_after_the_check_is_refused_without_waiting(
    tmp_path: Path, fifo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file opened is checked again: a check that passed on a regular file does not vouch for a FIFO."""
    pipe = fifo("policy.toml")
    regular = os.stat(RITZ)
    real_stat = os.stat

    def swapped(path: object, *args: object, **kwargs: object) -> os.stat_result:
        return regular if str(path) == str(pipe) else real_stat(path, *args, **kwargs)  # type: ignore[arg-type]  # os.stat's own arguments

    monkeypatch.setattr(os, "stat", swapped)
    raised, seconds, _ = bounded(lambda: Policy.from_file(pipe))
    assert isinstance(raised, PolicyError)
    assert "is not a regular file: it is a named pipe (FIFO)" in str(raised)
    assert seconds < QUICK


@pytest.mark.parametrize(
    ("limit", "given"),
    [("5", "str"), (float("nan"), "nan"), (1e6, "1000000.0"), (-1, "-1"), (0, "0"), (True, "bool"), (None, "NoneType")],
)
def test_read_regular_file_refuses_a_limit_that_is_not_a_positive_int(limit: object, given: str) -> None:
    # nan compared false with every size and read nothing; -1 said "is 2,913 bytes; the most is -1"
    with pytest.raises(InvalidInputError) as caught:
        read_regular_file(RITZ, limit=limit)  # type: ignore[arg-type]  # what a host app passing the wrong value does
    assert caught.value.problems[0].location == "limit"
    assert caught.value.problems[0].message == (
        f"must be a positive int, the most bytes to read (such as 1_000_000); not {given}"
    )
    with pytest.raises(InvalidInputError, match="limit: must be a positive int"):  # before anything is opened
        read_regular_file("/dev/zero", limit=limit)  # type: ignore[arg-type]
    assert read_regular_file(RITZ, limit=len(RITZ_TEXT.encode())) == RITZ.read_bytes()


class BytesPath(os.PathLike[bytes]):
    def __fspath__(self) -> bytes:
        return b"policy.toml"


def test_a_policy_path_that_cannot_be_a_file_name_is_typed(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not a valid file name"):
        Policy.from_file(str(tmp_path / "nul\x00.toml"))
    with pytest.raises(PolicyError, match=r"must be a str or os\.PathLike"):
        Policy.from_file(42)  # type: ignore[arg-type]  # what a host app passing the wrong value does
    with pytest.raises(PolicyError, match=r"must be a str or os\.PathLike, not BytesPath"):
        Policy.from_file(BytesPath())  # type: ignore[arg-type]  # a path of bytes, which Path cannot hold
    with pytest.raises(PolicyError, match="cannot be read: there is no such file"):
        Policy.from_file(tmp_path / "missing.toml")
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    with pytest.raises(PolicyError, match="cannot be read"):
        Policy.from_file(loop)


def test_a_regular_file_behind_a_link_still_loads(tmp_path: Path) -> None:
    link = tmp_path / "policy.toml"
    link.symlink_to(RITZ)
    assert Policy.from_file(link) == presets.ritz_carlton()
    assert stat.S_ISLNK(os.lstat(link).st_mode)


# -- the command line: every file it reads ------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_command_line_refuses_every_input_that_is_not_a_regular_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fifo: Callable[[str], Path], kind: str
) -> None:
    policy = str(not_regular(kind, tmp_path, fifo, ".toml"))
    complaint = str(_in(tmp_path, "c", kind, fifo))
    cases = str(_in(tmp_path, "t", kind, fifo, ".toml"))
    records = str(_in(tmp_path, "r", kind, fifo, ".jsonl"))
    runs = {
        "decide --policy": ("decide", "--policy", policy, COMPLAINT, "--by", "front_desk"),
        "check": ("check", policy),
        "decide COMPLAINT": ("decide", "--policy", POLICY, complaint, "--by", "front_desk"),
        "test CASES": ("test", POLICY, cases),
        "simulate RECORDS": ("simulate", "--policy", POLICY, "--candidate", POLICY, records),
    }
    for name, args in runs.items():
        started = time.perf_counter()
        result = run(capsys, *args)
        assert time.perf_counter() - started < QUICK, name
        assert result.code == 2, (name, result)
        expected = "is not a regular file" if name == "check" else f"is not a regular file: it is {WHAT[kind]}"
        assert expected in result.err, (name, result.err)
        assert "Traceback" not in result.err


def _in(tmp_path: Path, folder: str, kind: str, fifo: Callable[[str], Path], suffix: str = ".json") -> Path:
    where = tmp_path / folder
    where.mkdir(exist_ok=True)
    path = where / f"{kind}{suffix}"
    if kind in ("fifo", "link-to-fifo"):
        target = fifo(f"{folder}-{kind}{suffix}")
        if kind == "fifo":
            return target
        path.symlink_to(target)
    elif kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    return path


def test_the_command_line_refuses_a_huge_sparse_complaint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "complaint.json"
    with path.open("wb") as stream:
        stream.truncate(10 * 2**30)
    result = run(capsys, "decide", "--policy", POLICY, str(path), "--by", "front_desk")
    assert result.code == 2
    assert "is 10,737,418,240 bytes; the most is 5,000,000" in result.err


def test_files_saved_with_a_byte_order_mark_read_as_without_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A policy, complaint and test-cases file as Windows Notepad saves UTF-8 (a byte-order mark first)."""
    marked = {}
    for name in (POLICY, COMPLAINT, CASES):
        source = Path(name)
        marked[name] = tmp_path / source.name
        marked[name].write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    plain = run(capsys, "decide", "--policy", POLICY, COMPLAINT, "--by", "front_desk", "--now", NOW)
    bom = run(
        capsys, "decide", "--policy", str(marked[POLICY]), str(marked[COMPLAINT]), "--by", "front_desk", "--now", NOW
    )
    assert (bom.code, bom.out) == (plain.code, plain.out)
    assert plain.code == 0
    tested = run(capsys, "test", str(marked[POLICY]), str(marked[CASES]))
    assert tested.code == run(capsys, "test", POLICY, CASES).code == 0, tested.err


NOT_UTF8 = "is not UTF-8 text: the byte 0xe9 cannot be read as UTF-8; save the file as UTF-8"
"""What a file in Latin-1 ("Jos\\xe9", as Windows-1252 writes "José") is said to be, at the byte's line and column."""


@pytest.mark.parametrize(
    ("argv", "slot", "said"),
    [
        (["decide", "{file}", "-p", POLICY, "--by", "front_desk", "--now", NOW], "c.json", "the complaint file "),
        (["decide", COMPLAINT, "-p", "{file}", "--by", "front_desk", "--now", NOW], "p.toml", ""),
        (["check", "{file}"], "p.toml", ""),
        (["prove", "{file}"], "p.json", ""),
        (["test", "{file}", CASES], "p.toml", ""),
        (["test", POLICY, "{file}"], "cases.toml", "the test cases file "),
        (["simulate", "{file}", "-p", POLICY, "-c", POLICY], "records.jsonl", ""),
        (["simulate", RECORDS, "-p", POLICY, "-c", "{file}"], "p.toml", ""),
    ],
    ids=["complaint", "policy", "check", "prove", "test-policy", "cases", "records", "candidate"],
)
def test_a_file_that_is_not_utf8_is_placed_at_the_line_and_column_of_the_byte(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], slot: str, said: str
) -> None:
    """Every file a verb reads as text was said to be "not UTF-8 text (bad byte at offset 15)": the byte is
    now placed at its line and column (lines counted in the bytes before it), and the message says to save
    the file as UTF-8; with ``--json`` the problem has that line and column."""
    path = tmp_path / slot
    first = Path(RECORDS).read_bytes().splitlines()[0] if slot.endswith(".jsonl") else b"# a first line"
    path.write_bytes(first + b'\n"Jos\xe9"\n')  # the byte: line 2, column 5
    command = [str(path) if part == "{file}" else part for part in argv]
    result = run(capsys, *command)
    assert result.code == (1 if argv[0] == "check" else 2)
    if slot.endswith(".jsonl"):  # each line of recorded complaints is read on its own: the column in the line
        assert f"{path}: line 2: {NOT_UTF8} (column 5)" in result.err
        expected = {"location": "", "line": 2, "column": 5, "message": f"{NOT_UTF8} (column 5)"}
    else:
        assert f"{path}:2:5: {said}{NOT_UTF8}" in (result.out if argv[0] == "check" else result.err)
        expected = {"location": "", "line": 2, "column": 5, "message": NOT_UTF8}
    assert "offset" not in result.out + result.err
    document = json.loads(run(capsys, *command, "--json").out)
    assert (document if argv[0] == "check" else document["error"])["problems"] == [expected]


@pytest.mark.parametrize(
    ("raw", "place", "said"),
    [
        (b"caf\xc3\xa9 \xe9", (1, 6), "the byte 0xe9 cannot be read as UTF-8"),  # columns count characters
        (b"\xef\xbb\xbfab\xff", (1, 3), "the byte 0xff cannot be read as UTF-8"),  # not the byte-order mark
        (b"a\r\nb\n\ncd\x80", (4, 3), "the byte 0x80 cannot be read as UTF-8"),
        (
            b"\xff\xfe{\x00}\x00",
            (1, 1),
            "it is UTF-16 text (it begins with UTF-16's byte-order mark, the bytes 0xff 0xfe)",
        ),
        (  # big-endian UTF-16 is named as such too, not as a byte that cannot be read
            b"\xfe\xff\x00{\x00}",
            (1, 1),
            "it is UTF-16 text (it begins with UTF-16's byte-order mark, the bytes 0xfe 0xff)",
        ),
    ],
)
def test_decode_text_places_the_first_byte_that_is_not_utf8(raw: bytes, place: tuple[int, int], said: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        files.decode_text(raw)
    (problem,) = raised.value.problems
    assert problem.location == f"line {place[0]}, column {place[1]}"
    assert (problem.line, problem.column) == place
    assert problem.message == f"is not UTF-8 text: {said}; save the file as UTF-8"
    assert files.decode_text(b"\xef\xbb\xbfcaf\xc3\xa9") == "café"


@pytest.mark.slow
def test_one_endless_line_of_recorded_complaints_is_refused_without_holding_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "records.jsonl"
    first = Path(RECORDS).read_text(encoding="utf-8").splitlines()[0]
    with path.open("wb") as stream:
        stream.write(first.encode() + b"\n")
        stream.truncate(len(first) + 1 + 200 * 2**20)  # one 200 MB line of NUL bytes after a good one
    results = []
    raised, seconds, peak = bounded(
        lambda: results.append(
            run(capsys, "simulate", "-p", POLICY, "-c", POLICY, str(path), "--skip-invalid", "--json")
        )
    )
    assert raised is None
    assert peak < 32 * 2**20  # never the whole 200 MB line
    assert seconds < 60  # the line is read through once, in pieces
    assert results[0].code == 0, results[0].err
    report = json.loads(results[0].out)
    assert report["decisions"] == 1
    assert report["skipped"] == ["line 2: is longer than 1,000,000 bytes, its line break included"]


# -- values the parsers cannot build ------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "text", "where"),
    [
        ("toml", RITZ_TEXT.replace("min_alternatives = 3", f"min_alternatives = {HUGE}"), None),
        ("toml", f"x = {HUGE}\n" + RITZ_TEXT, "line 1, column 5"),
        ("toml", f"x = -{'1_' * 4400}1\n" + RITZ_TEXT, "line 1, column 6"),
        ("json", '{"name": "p",\n "min_alternatives": ' + HUGE + "}", "line 2, column 22"),
        ("yaml", f"name: p\nmin_alternatives: {HUGE}\n", "line 2, column 19"),
        ("yaml", f"name: p\nlevels:\n  - limit: -{HUGE}\n", "line 3, column 12"),
    ],
)
def test_an_integer_of_thousands_of_digits_is_a_located_policy_error(format: str, text: str, where: str | None) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(text, format=format)  # type: ignore[arg-type]  # one of the three formats
    problem = caught.value.problems[0]
    assert "digits; the most that can be read is 4,300" in problem.message
    assert problem.location.startswith("line ")
    if where is not None:
        assert problem.location == where


@pytest.mark.parametrize(
    "text",
    [
        "? [a, b]\n: 1\n",
        "name: p\n? {a: 1}\n: 1\n",
        "{[a, b]: 1}\n",
        "levels:\n  - ? [x]\n    : 2\n",
    ],
)
def test_a_yaml_key_that_is_a_list_or_a_table_is_a_located_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="a key must be a name, not a list or a table") as caught:
        Policy.from_text(text, format="yaml")
    assert caught.value.problems[0].location.startswith("line ")


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("name: p\n? [a, b]\n: 1\n", 2, 3), ("name: p\nlevels:\n  - name: staff\n    ? {a: 1}\n    : 2\n", 4, 7)],
)
def test_a_yaml_key_that_is_a_list_or_a_table_is_placed_at_the_key(text: str, line: int, column: int) -> None:
    """The problem is placed where the key is written, not where the table holding it starts."""
    pytest.importorskip("yaml", reason="PyYAML is in the dev extra; this runs in CI")
    with pytest.raises(PolicyError) as caught:
        Policy.from_text(text, format="yaml")
    (problem,) = caught.value.problems
    assert (problem.location, problem.message) == (
        f"line {line}, column {column}",
        "a key must be a name, not a list or a table",
    )


def test_a_yaml_value_python_cannot_build_is_a_located_policy_error() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_text("name: p\nsince: 2026-02-30\n", format="yaml")
    assert caught.value.problems[0].location == "line 2, column 8"
    assert "day is out of range for month" in caught.value.problems[0].message


def test_the_command_line_reports_a_huge_integer_in_a_complaint_or_cases_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    complaint = tmp_path / "complaint.json"
    text = Path(COMPLAINT).read_text(encoding="utf-8")
    complaint.write_text(text.replace("{", '{"x": ' + HUGE + ",", 1), encoding="utf-8")
    result = run(capsys, "decide", "--policy", POLICY, str(complaint), "--by", "front_desk")
    assert result.code == 2
    assert f"{complaint}:1:7: the complaint file is a number of 5,000 digits" in result.err
    cases = tmp_path / "cases.toml"
    cases.write_text(f"defaults = {{ by = {HUGE} }}\n", encoding="utf-8")
    result = run(capsys, "test", POLICY, str(cases))
    assert result.code == 2
    assert f"{cases}:1:19: the test cases file is a number of 5,000 digits" in result.err
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(tomllib.loads(RITZ_TEXT)).replace('"min_alternatives": 3', f'"x": {HUGE}'))
    result = run(capsys, "check", str(policy))
    assert result.code == 1
    assert "is a number of 5,000 digits" in result.out


# -- the command line places problems on their lines without walking into traps -----------------


def test_a_yaml_alias_bomb_is_mapped_once_not_once_per_alias(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Six levels of nine aliases name 531,441 strings; the map of the file holds each node once."""
    bomb = "bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]\n" for level in range(1, 7)
    )
    assert len(source_map(bomb, "yaml")) < 200
    path = tmp_path / "policy.yaml"
    path.write_text(bomb + "name: p\n", encoding="utf-8")
    started = time.perf_counter()
    result = run(capsys, "check", str(path))
    assert time.perf_counter() - started < QUICK
    assert result.code == 1
    assert f"{path}:1:1: bomb: is not a field here" in result.out


@pytest.mark.parametrize(
    "text",
    [
        '{"name": 1_0, [1]: 2}',
        '{"name": "p", {"a": 1}: 2',
        '{"levels": [{"limit": 1_000}, {[]: 1}]}',
    ],
)
def test_check_places_the_syntax_error_of_a_json_policy_its_map_cannot_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(text, encoding="utf-8")
    result = run(capsys, "check", str(path))
    assert result.code == 1, result.err
    assert "is not valid JSON" in result.out
    assert "Traceback" not in result.err
