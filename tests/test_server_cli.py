"""``recovery-rules serve``: minting tokens, refusing what cannot be served, and the settings workers read."""

from __future__ import annotations

import datetime as dt
import errno
import os
import secrets
import socket
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the decision service needs the server extra, which dev installs")

import uvicorn
from fastapi.testclient import TestClient

from recovery_rules import InvalidInputError, JournalError, SQLiteJournal, presets
from recovery_rules.server import (
    Settings,
    Tokens,
    app_from_environment,
    load_ledger_key,
    load_policy,
    open_journal,
)
from recovery_rules.server import run as serve_with_uvicorn
from recovery_rules.server._run import demo_tokens

from ._cli import Result, run
from ._server import complaint, serve, walk


def test_mint_token_adds_the_hash_to_the_token_file_and_prints_the_token(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "tokens.toml"
    first = run(capsys, "serve", "--mint-token", "e-1042", "staff", "--tokens", str(path), "--policy", "ritz-carlton")
    assert first.code == 0, first.err
    token = first.out.strip()
    second = run(capsys, "serve", "--mint-token", "e-7", "manager", "--tokens", str(path))
    assert second.code == 0, second.err
    text = path.read_text(encoding="utf-8")
    assert token not in text
    tokens = Tokens.from_file(path)
    assert len(tokens) == 2
    employee = tokens.employee(token)
    assert employee is not None
    assert (employee.id, employee.level) == ("e-1042", "staff")
    assert os.stat(path).st_mode & 0o077 == 0  # readable by its owner only


def test_mint_token_refuses_a_level_the_policy_lacks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "tokens.toml"
    result = run(capsys, "serve", "--mint-token", "e-1", "intern", "--tokens", str(path), "--policy", "ritz-carlton")
    assert result.code == 2
    assert "staff, manager, general_manager" in result.err
    assert not path.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--policy", "ritz-carlton"], "--journal"),
        (["--journal", "sqlite:x.sqlite3"], "--policy"),
        (["--policy", "ritz-carltn", "--journal", "sqlite:x.sqlite3"], "did you mean 'ritz-carlton'"),
        (["--policy", "ritz-carlton", "--journal", "mysql://db/x"], "postgresql://"),
    ],
)
def test_serve_refuses_what_it_cannot_serve(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, arguments: list[str], message: str
) -> None:
    os.chdir(tmp_path)
    result = run(capsys, "serve", *arguments)
    assert result.code == 2
    assert message in result.err
    assert not (tmp_path / "tokens.toml").exists()


def test_the_preset_name_works_with_a_hyphen_or_an_underscore() -> None:
    assert load_policy("ritz-carlton").revision == presets.ritz_carlton().revision
    assert load_policy("ritz_carlton").revision == presets.ritz_carlton().revision
    assert load_policy(str(presets.path("retail"))).revision == presets.retail().revision


def test_journal_addresses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_journal(f"sqlite:{tmp_path / 'cases.sqlite3'}") as journal:
        assert isinstance(journal, SQLiteJournal)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "journals").mkdir()
    with open_journal("sqlite://journals/url.sqlite3") as journal:  # written as a URL: the same relative path
        assert isinstance(journal, SQLiteJournal)
    assert (tmp_path / "journals" / "url.sqlite3").is_file()
    for address in ("sqlite:", "cases.sqlite3", "memory:"):
        with pytest.raises(InvalidInputError):
            open_journal(address)


def test_demo_tokens_are_one_per_level_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.toml"
    made = demo_tokens(path, presets.ritz_carlton())
    assert [level for _, level, _ in made] == ["staff", "manager", "general_manager"]
    tokens = Tokens.from_file(path)
    for employee, level, token in made:
        found = tokens.employee(token)
        assert found is not None
        assert (found.id, found.level) == (employee, level)
        assert token not in path.read_text(encoding="utf-8")
    assert os.stat(path).st_mode & 0o077 == 0
    with pytest.raises(FileExistsError):
        demo_tokens(path, presets.ritz_carlton())  # never overwrites a token file


def test_settings_travel_through_the_environment_to_each_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tmp_path / "tokens.toml"
    demo_tokens(tokens, presets.ritz_carlton())
    settings = Settings(
        policy="ritz-carlton",
        journal=f"sqlite:{tmp_path / 'cases.sqlite3'}",
        tokens=str(tokens),
        watch_policy=True,
        decision_log="",
        allow_origins=("https://desk.example.com", "https://till.example.com"),
    )
    environment = settings.to_environment()
    assert Settings.from_environment(environment) == settings
    for said, watched in (("1", True), ("true", True), ("yes", True), ("0", False), ("", False), ("no", False)):
        changed = {**environment, "RECOVERY_RULES_WATCH_POLICY": said}  # as a host's own process manager sets it
        assert Settings.from_environment(changed).watch_policy is watched, said
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = app_from_environment()
    assert app.state.service.policy.revision == presets.ritz_carlton().revision
    app.state.service.journal.close()
    with pytest.raises(InvalidInputError) as caught:
        Settings.from_environment({})
    assert len(caught.value.problems) == 3


def test_help_lists_serve(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--help")
    assert "\n  serve " in result.out


def test_serve_makes_no_json_token_file_of_its_own(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    result = run(
        capsys,
        "serve",
        "--policy",
        "ritz-carlton",
        "--journal",
        f"sqlite:{tmp_path / 'c.sqlite3'}",
        "--tokens",
        str(path),
    )
    assert result.code == 2
    assert "--mint-token" in result.err
    assert not path.exists()


# -- a journal whose ledger is sealed: the service holds its key -----------------------------------------------------


def _key_file(folder: Path, text: str) -> Path:
    path = folder / "ledger.key"
    path.write_text(text, encoding="ascii")
    return path


def test_the_ledger_key_file_is_read_as_hexadecimal_text(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    assert load_ledger_key(_key_file(tmp_path, key.hex() + "\n")) == key
    for text, message in [("not hexadecimal", "hexadecimal text"), ("ab" * 600, "the most")]:
        with pytest.raises(InvalidInputError, match=message) as caught:
            load_ledger_key(_key_file(tmp_path, text))
        assert "ab" * 16 not in str(caught.value)  # no key, or what looks like one, in the message
    with pytest.raises(InvalidInputError, match="ledger_key_file"):
        load_ledger_key(tmp_path)  # a directory


@pytest.mark.slow
def test_a_service_with_the_key_grants_in_a_sealed_journal_and_one_without_it_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = secrets.token_bytes(32)
    key_file = _key_file(tmp_path, key.hex())
    tokens = tmp_path / "tokens.toml"
    made = demo_tokens(tokens, presets.ritz_carlton())
    staff = next(token for _, level, token in made if level == "staff")
    address = f"sqlite:{tmp_path / 'cases.sqlite3'}"
    settings = Settings(policy="ritz-carlton", journal=address, tokens=str(tokens), ledger_key_file=str(key_file))
    assert Settings.from_environment(settings.to_environment()) == settings
    for name, value in settings.to_environment().items():
        monkeypatch.setenv(name, value)
    app = app_from_environment()
    journal = app.state.service.journal
    assert journal.ledger_sealed
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {staff}"}
    opened = client.post("/v1/cases", json={"complaint": complaint("100.00")}, headers=auth)
    assert opened.status_code == 201, opened.json()
    number = opened.json()["complaint_number"]
    for step in ("listen", "apologize", "ask_preferred_solution", "decide"):
        answer = client.post(f"/v1/cases/{number}/{step}", headers=auth)
        assert answer.status_code == 200, (step, answer.json())
    assert answer.json()["case"]["granted"] == {"amount": "100.00", "currency": "USD"}  # recorded, sealed
    journal.close()
    keyless = serve(journal=open_journal(address))  # the journal is sealed: without the key, it grants nothing
    assert keyless.journal.ledger_sealed
    number = keyless.post("/v1/cases", json={"complaint": complaint("100.00")}).json()["complaint_number"]
    walk(keyless, number, [("listen", "staff"), ("apologize", "staff"), ("ask_preferred_solution", "staff")])
    refused = keyless.post(f"/v1/cases/{number}/decide")
    assert refused.status_code == 503
    assert "open it with its ledger_key" in refused.json()["detail"]
    keyless.journal.close()
    with pytest.raises(JournalError, match="not the key"):
        open_journal(address, ledger_key=secrets.token_bytes(32))


def test_serve_refuses_a_bad_key_file_or_another_key_before_it_serves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    address = f"sqlite:{tmp_path / 'cases.sqlite3'}"
    with open_journal(address, ledger_key=secrets.token_bytes(32)):
        pass  # sealed with a key the service does not have
    common = ["serve", "--policy", "ritz-carlton", "--journal", address, "--tokens", str(tmp_path / "t.toml")]
    for text, message in [("zz", "hexadecimal"), ("ab" * 16, "a key of 16 bytes; a ledger key has at least 32")]:
        result = run(capsys, *common, "--ledger-key-file", str(_key_file(tmp_path, text)))
        assert result.code == 2
        assert "--ledger-key-file" in result.err
        assert message in result.err
    result = run(capsys, *common, "--ledger-key-file", str(_key_file(tmp_path, secrets.token_hex(32))))
    assert result.code == 2
    assert "not the key this journal's ledger was sealed with" in result.err
    assert not (tmp_path / "t.toml").exists()


def test_serve_refuses_a_metrics_folder_that_is_not_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.chdir(tmp_path)
    demo_tokens(tmp_path / "tokens.toml", presets.ritz_carlton())
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")  # serve sets them for its workers: put back after the test
    result = run(capsys, "serve", "--policy", "ritz-carlton", "--journal", "sqlite:x.sqlite3", "--workers", "2")
    assert result.code == 2
    assert "PROMETHEUS_MULTIPROC_DIR" in result.err
    assert "not a folder" in result.err


@pytest.mark.parametrize("workers", [1, 2])
def test_several_workers_get_a_metrics_folder_of_their_own_for_as_long_as_they_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    seen: list[str | None] = []

    def uvicorn_run(*arguments: object, **options: object) -> None:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        seen.append(folder)
        if folder is not None:
            assert Path(folder).is_dir()
            assert not os.listdir(folder)
            assert Path(folder).stat().st_mode & 0o077 == 0  # this user's alone

    monkeypatch.setattr(uvicorn, "run", uvicorn_run)
    serve_with_uvicorn(Settings(policy="ritz-carlton", journal="sqlite:x.sqlite3", tokens="t.toml"), workers=workers)
    assert len(seen) == 1
    assert (seen[0] is not None) == (workers > 1)
    if seen[0] is not None:
        assert not Path(seen[0]).exists()  # removed when the service stopped
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


_SETTINGS_NAMES = tuple(Settings(policy="p", journal="sqlite:x", tokens="t").to_environment())


def test_a_token_of_a_level_the_policy_lacks_is_said_when_made_and_when_served(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in the level (``manger``) is not refused without a policy to check it against, but it is said then,
    and again when the service starts with that token file: before every request with it is refused."""
    tokens = tmp_path / "tokens.toml"
    made = run(capsys, "serve", "--mint-token", "e-9", "manger", "--tokens", str(tokens))
    assert made.code == 0
    assert "level 'manger' not checked: give --policy" in made.err
    assert Tokens.from_file(tokens).levels == {"manger"}
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    monkeypatch.setattr(uvicorn, "run", lambda *arguments, **options: None)
    journal = f"sqlite:{tmp_path / 'cases.sqlite3'}"
    served = run(
        capsys, "serve", "--policy", "ritz-carlton", "--journal", journal, "--tokens", str(tokens), "--port", "0"
    )
    assert served.code == 0, served.err
    assert "tokens of level 'manger', which the policy does not have" in served.err
    run(capsys, "serve", "--mint-token", "e-1", "staff", "--tokens", str(tmp_path / "good.toml"))
    good = run(
        capsys,
        *("serve", "--policy", "ritz-carlton", "--journal", journal, "--tokens", str(tmp_path / "good.toml")),
        *("--port", "0"),
    )
    assert "Warning" not in good.err


def test_the_session_settings_travel_to_each_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = tmp_path / "tokens.toml"
    demo_tokens(tokens, presets.ritz_carlton())
    key = bytes(range(32))
    key_file = _key_file(tmp_path, key.hex())
    settings = Settings(
        policy="ritz-carlton",
        journal=f"sqlite:{tmp_path / 'cases.sqlite3'}",
        tokens=str(tokens),
        session_key_file=str(key_file),
        session_hours=8,
    )
    assert Settings.from_environment(settings.to_environment()) == settings
    for name, value in settings.to_environment().items():
        monkeypatch.setenv(name, value)
    service = app_from_environment().state.service
    assert (service.session_key, service.session_lifetime) == (key, dt.timedelta(hours=8))
    service.journal.close()
    monkeypatch.setenv("RECOVERY_RULES_SESSION_KEY_FILE", "")
    handed = secrets.token_bytes(32)
    monkeypatch.setenv("RECOVERY_RULES_SESSION_KEY", handed.hex())  # what serve hands its workers
    service = app_from_environment().state.service
    assert service.session_key == handed
    service.journal.close()
    for hours in ("1", "720"):  # an hour at least, 30 days at most
        changed = {**settings.to_environment(), "RECOVERY_RULES_SESSION_HOURS": hours}
        assert Settings.from_environment(changed).session_hours == int(hours)
    for hours in ("0", "721", "twelve", "-1", "\u00b2"):
        with pytest.raises(InvalidInputError, match="RECOVERY_RULES_SESSION_HOURS"):
            Settings.from_environment({**settings.to_environment(), "RECOVERY_RULES_SESSION_HOURS": hours})


@pytest.mark.parametrize("with_file", [True, False])
def test_serve_hands_its_workers_one_session_key_for_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_file: bool
) -> None:
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    monkeypatch.delenv("RECOVERY_RULES_SESSION_KEY", raising=False)
    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **__: seen.append(os.environ.get("RECOVERY_RULES_SESSION_KEY")))
    key_file = str(_key_file(tmp_path, secrets.token_hex(32))) if with_file else ""
    settings = Settings(policy="ritz-carlton", journal="sqlite:x.sqlite3", tokens="t.toml", session_key_file=key_file)
    serve_with_uvicorn(settings, workers=2)
    serve_with_uvicorn(settings, workers=2)
    if with_file:
        assert seen == [None, None]  # the workers read the file
    else:
        first, second = seen
        assert first is not None
        assert second is not None
        assert len(bytes.fromhex(first)) == 32
        assert first != second  # a new key each run: a restart signs everyone out
    assert "RECOVERY_RULES_SESSION_KEY" not in os.environ


def test_serve_refuses_a_bad_session_key_file_before_it_serves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    common = ["serve", "--policy", "ritz-carlton", "--journal", f"sqlite:{tmp_path / 'c.sqlite3'}"]
    common += ["--tokens", str(tmp_path / "t.toml")]
    for text, message in [("zz", "hexadecimal"), ("ab" * 16, "a key of 16 bytes; a session key has at least 32")]:
        result = run(capsys, *common, "--session-key-file", str(_key_file(tmp_path, text)))
        assert result.code == 2
        assert "--session-key-file" in result.err
        assert message in result.err
    result = run(capsys, *common, "--session-hours", "0")
    assert result.code == 2
    assert "--session-hours" in result.err
    assert not (tmp_path / "t.toml").exists()


def _not_started(*arguments: object, **options: object) -> None:
    raise AssertionError("the server was started: the address should have been refused before")


def _serve_at(capsys: pytest.CaptureFixture[str], folder: Path, *address: str) -> Result:
    journal = f"sqlite:{folder / 'cases.sqlite3'}"
    tokens = str(folder / "t.toml")
    return run(
        capsys,
        "serve",
        "--policy",
        "ritz-carlton",
        "--journal",
        journal,
        "--tokens",
        tokens,
        "--decision-log",
        "",
        *address,
    )


def test_a_port_in_use_is_bad_input_said_before_anything_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, uvicorn logged "[Errno 98] ... address already in use" and exited with 3 (a bug), after the token
    file and the journal were made."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for host in ("127.0.0.1", "localhost"):
            result = _serve_at(capsys, tmp_path, "--host", host, "--port", port)
            assert result.code == 2, result.err
            assert result.err.startswith(f"Error: --port: {host}:{port} is already in use"), result.err
            assert "pick another --port (--port 0 takes any free one)" in result.err
    assert list(tmp_path.iterdir()) == []  # no token file, no journal


def _unknown_name(host: object, *arguments: object, **options: object) -> object:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")  # what a resolver says, without asking one


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("999.1.1.1", "--host: '999.1.1.1' is not an address to listen on (Name or service not known); "),
        ("a" * 64, f"--host: '{'a' * 64}' is not an address to listen on (not a host name); "),  # a label too long
        ("192.0.2.1", "--host: '192.0.2.1' is not an address of this machine (Cannot assign requested address)"),
    ],
    ids=["unknown", "no-name", "another-machine"],
)
def test_a_host_that_cannot_be_listened_on_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, message: str
) -> None:
    """Before, uvicorn logged "[Errno -2] Name or service not known" and exited with 3 (a bug). 192.0.2.1 is of
    TEST-NET-1, no machine's."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    if host == "999.1.1.1":
        monkeypatch.setattr(socket, "getaddrinfo", _unknown_name)
    result = _serve_at(capsys, tmp_path, "--host", host, "--port", "0")
    assert result.code == 2, result.err
    assert result.err.startswith(f"Error: {message}"), result.err
    assert "127.0.0.1 for this machine alone, 0.0.0.0 for every network interface" in result.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("host", ["", " "])
def test_an_empty_host_is_refused_not_read_as_every_interface(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """An audit: ``--host ''`` (an unset ``--host "$HOST"``) passed the address check, which reads no name as every
    interface, and the service listened on 0.0.0.0 and ::, open to every network, having made its files."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    result = _serve_at(capsys, tmp_path, "--host", host, "--port", "0")
    assert result.code == 2, result.err
    assert result.err.startswith("Error: --host: is empty; give the address to listen on: 127.0.0.1"), result.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"x = [\n", "is not valid TOML: Invalid value (at end of document)"),
        (b"\xff\xfe", "is not UTF-8 text (a bad byte at offset 0): it is no token file"),
        (b"tokens = 3\n", "tokens: must be a list of tables with sha256, employee, level"),
    ],
)
def test_a_token_file_that_does_not_read_is_said_at_tokens_before_anything_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, problem: str
) -> None:
    """An audit: a bad token file was "invalid token file: cannot be read: ..." without the option or the file, and
    the journal had been made already. The token file is read before the journal is opened."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    (tmp_path / "t.toml").write_bytes(content)
    result = _serve_at(capsys, tmp_path, "--port", "0")
    assert result.code == 2, result.err
    assert result.err.startswith(f"Error: --tokens: {tmp_path / 't.toml'}: {problem}; fix it, or move it away"), (
        result.err
    )
    assert [path.name for path in tmp_path.iterdir()] == ["t.toml"]


def test_a_port_taken_after_it_was_checked_is_bad_input_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn exits with 3 when it cannot bind: the address is checked again then, and said as before."""
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    taken = socket.socket()

    def uvicorn_run(*arguments: object, **options: object) -> None:
        taken.bind(("127.0.0.1", port))  # another program got there first
        taken.listen()
        raise SystemExit(3)

    monkeypatch.setattr(uvicorn, "run", uvicorn_run)
    with taken:
        result = _serve_at(capsys, tmp_path, "--port", str(port))
    assert result.code == 2, result.err
    assert f"\nError: --port: 127.0.0.1:{port} is already in use" in result.err, result.err


def test_a_server_that_fails_to_start_for_another_reason_keeps_uvicorns_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")

    def uvicorn_run(*arguments: object, **options: object) -> None:
        raise SystemExit(3)  # the application did not start: uvicorn logged why

    monkeypatch.setattr(uvicorn, "run", uvicorn_run)
    with pytest.raises(SystemExit) as stopped:
        _serve_at(capsys, tmp_path, "--port", "0")
    assert stopped.value.code == 3


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")


@needs_ipv6
def test_an_ipv6_port_in_use_is_shown_in_brackets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uvicorn, "run", _not_started)
    with socket.socket(socket.AF_INET6) as taken:
        taken.bind(("::1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve_at(capsys, tmp_path, "--host", "::1", "--port", str(port))
    assert result.code == 2, result.err
    assert result.err.startswith(f"Error: --port: [::1]:{port} is already in use"), result.err
    assert list(tmp_path.iterdir()) == []


@needs_ipv6
def test_an_ipv6_address_of_another_machine_is_answered_with_ipv6_addresses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, an IPv6 host was told to listen on 127.0.0.1 or 0.0.0.0 instead. 2001:db8::1 is of the
    documentation prefix, no machine's."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    result = _serve_at(capsys, tmp_path, "--host", "2001:db8::1", "--port", "0")
    assert result.code == 2, result.err
    assert result.err.startswith("Error: --host: '2001:db8::1' is not an address of this machine"), result.err
    assert "give one of its addresses: ::1 for this machine alone, :: for every network interface" in result.err
    assert "127.0.0.1" not in result.err


def test_an_ipv6_address_in_brackets_is_told_to_drop_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[::1]`` is how a URL writes an address; the resolver does not read it (uvicorn neither). Before, the
    message said to check its spelling and offered 127.0.0.1."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    monkeypatch.setattr(socket, "getaddrinfo", _unknown_name)
    result = _serve_at(capsys, tmp_path, "--host", "[::1]", "--port", "0")
    assert result.code == 2, result.err
    assert result.err.startswith(
        "Error: --host: '[::1]' is not an address to listen on (Name or service not known); "
        "write the address without its brackets (--host ::1)"
    ), result.err


class _Refused(socket.socket):
    """A socket this user may not bind, whatever the port: as a security policy (or a raised
    net.ipv4.ip_unprivileged_port_start) refuses it."""

    def bind(self, address: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("80", "--port: this user may not listen on port 80 (Permission denied); ports below 1024 need privileges"),
        ("8000", "--port: this user may not listen on 127.0.0.1:8000 (Permission denied): the system reserves"),
    ],
)
def test_a_port_this_user_may_not_take_says_why_for_its_range(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: str, message: str
) -> None:
    """Before, port 8000 refused was said to be below 1024 (pick one from 1024 up: --port 8000, itself)."""
    monkeypatch.setattr(uvicorn, "run", _not_started)
    monkeypatch.setattr(socket, "socket", _Refused)
    result = _serve_at(capsys, tmp_path, "--port", port)
    assert result.code == 2, result.err
    assert result.err.startswith(f"Error: {message}"), result.err
    if port == "8000":
        assert "pick another --port" in result.err
        assert "below 1024" not in result.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("host", "warned"),
    [("0.0.0.0", True), ("127.0.0.1", False), ("localhost", False)],  # noqa: S104 - what serve is told, no bind
)
def test_serve_on_an_address_other_machines_reach_warns_that_tokens_travel_in_clear(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, warned: bool
) -> None:
    """Bearer tokens must only travel over HTTPS: served on the network over plain http, serve says so (and how
    to put a TLS proxy in front), but serves: the PostgreSQL example serves 0.0.0.0 behind a proxy."""
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **options: started.append(options["host"]))
    tokens = tmp_path / "tokens.toml"
    run(capsys, "serve", "--mint-token", "e-1", "staff", "--tokens", str(tokens))
    journal = f"sqlite:{tmp_path / 'cases.sqlite3'}"
    served = run(
        capsys, "serve", "--policy", "ritz-carlton", "--journal", journal, "--tokens", str(tokens), "--host", host,
        "--port", "0",
    )  # fmt: skip
    assert served.code == 0, served.err
    assert started == [host]
    said = f"Warning: --host {host} is not a loopback address"
    assert (said in served.err) is warned
    if warned:
        assert "bearer tokens and session cookies travel in clear unless a proxy that terminates TLS" in served.err
        assert "run-the-decision-service/#behind-a-proxy" in served.err


def test_serve_hands_its_workers_the_body_limit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **__: seen.append(os.environ.get("RECOVERY_RULES_MAX_BODY_BYTES")))
    tokens = tmp_path / "tokens.toml"
    run(capsys, "serve", "--mint-token", "e-1", "staff", "--tokens", str(tokens))
    journal = f"sqlite:{tmp_path / 'cases.sqlite3'}"
    common = ("serve", "--policy", "ritz-carlton", "--journal", journal, "--tokens", str(tokens), "--port", "0")
    assert run(capsys, *common).code == 0
    assert run(capsys, *common, "--max-body-bytes", "65536").code == 0
    assert seen == ["5000000", "65536"]
    refused = run(capsys, *common, "--max-body-bytes", "0")
    assert refused.code != 0
    assert "--max-body-bytes" in refused.err
    for name, value in Settings(policy="ritz-carlton", journal=journal, tokens=str(tokens)).to_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RECOVERY_RULES_MAX_BODY_BYTES", "100")
    app = app_from_environment()
    try:
        response = TestClient(app).post(
            "/v1/decisions", content=b" " * 101, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
    finally:
        app.state.service.journal.close()


def test_serve_hands_its_workers_every_option_it_was_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each option of serve reaches the workers (through the environment they build their app from), and
    ``--workers`` uvicorn: none is left at its default when it was given."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    for name in _SETTINGS_NAMES:
        monkeypatch.setenv(name, "")
    seen: list[tuple[Settings, object]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda *_, **options: seen.append((Settings.from_environment(), options["workers"]))
    )
    tokens = tmp_path / "tokens.toml"
    run(capsys, "serve", "--mint-token", "e-1", "staff", "--tokens", str(tokens))
    journal = f"sqlite:{tmp_path / 'cases.sqlite3'}"
    key_file = _key_file(tmp_path, secrets.token_hex(32))
    served = run(
        capsys, "serve", "--policy", "ritz-carlton", "--journal", journal, "--tokens", str(tokens), "--port", "0",
        "--watch-policy", "--decision-log", "", "--allow-origin", "https://desk.example.com",
        "--allow-origin", "https://till.example.com", "--session-key-file", str(key_file), "--session-hours", "8",
        "--max-body-bytes", "65536", "--workers", "3",
    )  # fmt: skip
    assert served.code == 0, served.err
    assert seen == [
        (
            Settings(
                policy="ritz-carlton",
                journal=journal,
                tokens=str(tokens.resolve()),
                watch_policy=True,
                decision_log="",
                allow_origins=("https://desk.example.com", "https://till.example.com"),
                session_key_file=str(key_file.resolve()),
                session_hours=8,
                max_body_bytes=65536,
            ),
            3,
        )
    ]
