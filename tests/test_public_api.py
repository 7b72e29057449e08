"""The public surface: what recovery_rules exports, and the exception tree."""

from __future__ import annotations

import collections.abc
import concurrent.futures
import copy as copy_module
import datetime as dt
import doctest
import importlib.resources
import inspect
import pickle
import subprocess
import sys

import pytest

import recovery_rules
from recovery_rules import exceptions


def test_all_is_sorted_and_importable() -> None:
    names = [name for name in recovery_rules.__all__ if name != "__version__"]
    assert names == sorted(names, key=lambda name: (not name.isupper(), name.lower() if name.islower() else name))
    for name in recovery_rules.__all__:
        assert getattr(recovery_rules, name) is not None


def test_the_contract_names_are_exported() -> None:
    for name in (
        "Money",
        "Customer",
        "Remedy",
        "Complaint",
        "ComplaintNumber",
        "AuthorityLevel",
        "Alternative",
        "Policy",
        "Outcome",
        "Resolution",
        "presets",
        "RecoveryRulesError",
        "PolicyError",
        "CurrencyMismatchError",
        "UnknownLevelError",
    ):
        assert name in recovery_rules.__all__


def test_every_exception_derives_from_the_root_and_a_builtin() -> None:
    for name in exceptions.__all__:
        error = getattr(exceptions, name)
        if isinstance(error, type) and issubclass(error, Exception):
            assert issubclass(error, recovery_rules.RecoveryRulesError)
            if error is not recovery_rules.RecoveryRulesError:
                assert any(base.__module__ == "builtins" for base in error.__mro__[1:-2]), name


def test_input_errors_are_value_errors() -> None:
    for error in (
        recovery_rules.InvalidInputError,
        recovery_rules.PolicyError,
        recovery_rules.CurrencyMismatchError,
        recovery_rules.UnknownLevelError,
        recovery_rules.UnknownRemedyError,
    ):
        assert issubclass(error, ValueError)
    assert issubclass(recovery_rules.MissingDependencyError, ImportError)


def test_py_typed_is_shipped() -> None:
    assert importlib.resources.files("recovery_rules").joinpath("py.typed").is_file()


@pytest.mark.slow
def test_the_core_imports_without_optional_dependencies() -> None:
    code = (
        "import sys\n"
        "import recovery_rules\n"
        "recovery_rules.presets.ritz_carlton()\n"
        "loaded = [name for name in ('hypothesis', 'durable', 'yaml') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_cases_journals_wording_and_engines_load_on_first_use() -> None:
    code = (
        "import sys\n"
        "import recovery_rules\n"
        "lazy = ('recovery_rules._case._case', 'recovery_rules._journal', 'recovery_rules._wording._say',\n"
        "        'recovery_rules._engine._durable', 'recovery_rules._wording._step_words', 'sqlite3')\n"
        "loaded = [name for name in lazy if name in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert 'Case' in dir(recovery_rules)\n"
        "from recovery_rules import Case, SQLiteJournal, say\n"
        "assert recovery_rules.Case is Case and 'recovery_rules._case._case' in sys.modules\n"
        "try:\n"
        "    recovery_rules.Nope\n"
        "except AttributeError as error:\n"
        "    assert 'Nope' in str(error)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_exported_names_are_shown_by_the_name_they_are_exported_under() -> None:
    for name in recovery_rules.__all__:
        value = getattr(recovery_rules, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__module__ == "recovery_rules", name


def test_values_travel_to_other_processes() -> None:
    policy = recovery_rules.presets.ritz_carlton()
    now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    complaint = recovery_rules.Complaint(
        customer=recovery_rules.Customer(id="10442"),
        category="noise",
        requested=recovery_rules.Remedy(kind="refund", amount=recovery_rules.Money("5000.00", "USD")),
        received_at=now,
    )
    resolution = policy.decide(complaint, by="staff", now=now)
    for value in (policy, complaint, resolution, recovery_rules.Money("1.00", "USD")):
        copy = pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes, just made
        assert copy == value
    assert pickle.loads(pickle.dumps(policy)).decide(complaint, by="staff", now=now) == resolution  # noqa: S301
    for value in (policy, complaint, resolution):  # no pickle names a private module: moving one breaks none
        assert b"recovery_rules._" not in pickle.dumps(value)


def test_what_the_command_line_needed_is_exported() -> None:
    """Issue 16: the CLI uses the public API only; what it needed became public (and documented)."""
    for name in ("CaseView", "RecoveryModel", "resolution_violations"):
        assert name in recovery_rules.__all__
    testing = importlib.import_module("recovery_rules.testing")  # the testing extra, here in the dev install
    assert recovery_rules.resolution_violations is testing.resolution_violations
    assert issubclass(recovery_rules.Complaint, recovery_rules.RecoveryModel)
    assert recovery_rules.Money.MAX_AMOUNT == 10**15
    for owner, member in (
        (recovery_rules.Money, "from_minor_units"),
        (recovery_rules.Money, "to_minor_units"),
        (recovery_rules.Money, "decimal_context"),
        (recovery_rules.ChainHead, "empty"),
        (recovery_rules.SQLiteJournal, "is_journal"),
        (recovery_rules.CaseView, "replay"),
        (recovery_rules.CaseView, "after"),
    ):
        assert getattr(owner, member).__doc__, f"{owner.__name__}.{member}"


def test_the_examples_in_the_new_docstrings_run() -> None:
    namespace = {name: getattr(recovery_rules, name) for name in recovery_rules.__all__}
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for documented in (
        recovery_rules.RecoveryModel,
        recovery_rules.CaseView,
        recovery_rules.Money.from_minor_units,
        recovery_rules.SQLiteJournal.is_journal,
    ):
        tests = finder.find(documented, globs=dict(namespace))
        assert tests, documented
        assert tests[0].examples, documented
        for test in tests:
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_resolution_violations_and_prove_need_no_hypothesis() -> None:
    """The promises are checked without the testing extra: ``prove`` is part of the ``cli`` extra only."""
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None  # importing it now fails, as without the extra\n"
        "import datetime as dt\n"
        "from recovery_rules import Complaint, Customer, Money, Remedy, presets, resolution_violations\n"
        "policy = presets.retail()\n"
        "level = policy.levels[0].name\n"
        "complaint = Complaint(customer=Customer(id='1'), category=policy.categories[0],\n"
        "    requested=Remedy(kind=policy.vocabulary[0], amount=Money('1.00', policy.currency)),\n"
        "    received_at=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC))\n"
        "assert resolution_violations(policy, complaint, level, None, policy.decide(complaint, by=level)) == []\n"
        "from recovery_rules.proof import check\n"
        "assert check(policy, complaint, level, Money.zero(policy.currency), complaint.received_at)[0] == []\n"
        "try:\n"
        "    import recovery_rules.testing\n"
        "except ImportError as error:\n"
        "    assert 'recovery-rules[testing]' in str(error)\n"
        "else:\n"
        "    raise AssertionError('recovery_rules.testing imported without hypothesis')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_values_from_modules_loaded_on_first_use_pickle_by_their_public_name_at_once() -> None:
    """An event read from a journal pickles as ``recovery_rules.Event`` before anyone writes that name."""
    code = (
        "import datetime as dt, pickle\n"
        "import recovery_rules\n"
        "from recovery_rules import presets\n"
        "import recovery_rules._journal as inner\n"  # the journal's own module, not the package's name for it
        "journal = inner.MemoryJournal()\n"
        "now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)\n"
        "number = recovery_rules.ComplaintNumber(now.date(), 'C1')\n"
        "draft = inner.Draft(kind='opened', state='open', actor='staff', at=now)\n"
        "event = journal.append(number, draft, expected_version=0, key='k1', request={})\n"
        "assert 'Event' not in vars(recovery_rules), 'the package looked the name up already'\n"
        "for value in (event, journal.head(), journal.verify()):\n"
        "    assert b'recovery_rules._' not in pickle.dumps(value), type(value)\n"
        "    assert type(value).__module__ == 'recovery_rules', type(value)\n"
        "assert pickle.loads(pickle.dumps(event)) == event\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_every_module_loaded_on_first_use_shows_its_names_as_public_when_it_loads() -> None:
    from recovery_rules._values._exported import LOADED_ON_FIRST_USE  # noqa: PLC0415 - the list this test walks

    modules = sorted(set(LOADED_ON_FIRST_USE.values()) - {"_engine._durable"})  # durable-rules: not on 3.13
    code = (
        "import importlib, sys\n"
        "from recovery_rules._values._exported import LOADED_ON_FIRST_USE\n"
        f"for module in {modules!r}:\n"
        "    loaded = importlib.import_module('recovery_rules.' + module)\n"
        "    for name, home in LOADED_ON_FIRST_USE.items():\n"
        "        if home == module:\n"
        "            value = getattr(loaded, name)\n"
        "            if isinstance(value, type) or callable(value):  # a constant (ERASED) has no module\n"
        "                assert value.__module__ == 'recovery_rules', name\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _every_error() -> list[recovery_rules.RecoveryRulesError]:
    problem = recovery_rules.Problem("levels[0].limit", "must be a string", line=3, column=9)
    return [
        recovery_rules.RecoveryRulesError("plain"),
        recovery_rules.InvalidInputError("complaint", [problem]),
        recovery_rules.CurrencyMismatchError("USD", "EUR", location="granted", policy=True),
        recovery_rules.UnknownLevelError("boss", ["staff", "manager"]),
        recovery_rules.UnknownLocaleError("xx", ["en"]),
        recovery_rules.UnknownRemedyError("pony", ["refund"]),
        recovery_rules.PolicyError([problem], source="policy.toml"),
        recovery_rules.PolicyCheckError(["an approval over the limit"], "DecisionInput(...)"),
        recovery_rules.MissingDependencyError("the decision service", "server", "fastapi"),
        recovery_rules.IdempotencyConflictError(seq=7, recorded="decided"),
        recovery_rules.WorkflowError("decide", "closed", []),
        recovery_rules.AuthorityError(
            "decide", "open", ["escalate"], level="staff", needed="manager", detail="over its limit"
        ),
        recovery_rules.StaleCaseError(expected=2, found=3),
        recovery_rules.JournalError("the journal is closed"),
        recovery_rules.JournalIntegrityError(12, "its content does not match its hash: it was edited"),
        recovery_rules.EngineError("durable-rules failed"),
    ]


def test_every_error_pickles_and_copies_with_its_message_and_fields() -> None:
    """A host may raise in a worker process and catch in another: the error crosses whole (issue 16)."""
    errors = _every_error()
    kinds = {type(error) for error in errors}
    exported = {
        value
        for value in (getattr(exceptions, name) for name in exceptions.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert kinds == exported, exported - kinds
    for error in errors:
        for copy in (pickle.loads(pickle.dumps(error)), copy_module.copy(error), copy_module.deepcopy(error)):  # noqa: S301
            assert type(copy) is type(error)
            assert str(copy) == str(error)
            assert copy.args == error.args
            assert vars(copy) == vars(error)
    original = errors[6]
    assert isinstance(original, recovery_rules.PolicyError)
    policy_error = pickle.loads(pickle.dumps(original))  # noqa: S301 - our own bytes, just made
    assert policy_error.problems == original.problems  # not one "problem" per letter of the message
    assert str(policy_error).startswith("policy policy.toml does not load: line 3: levels[0].limit")


def test_an_error_raised_in_a_worker_process_reaches_the_host() -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_stale)
        with pytest.raises(recovery_rules.StaleCaseError) as raised:
            future.result(timeout=60)
    assert (raised.value.expected, raised.value.found) == (2, 3)


def _stale() -> None:
    raise recovery_rules.StaleCaseError(expected=2, found=3)


def test_frozen_values_hash_as_they_compare_or_say_they_do_not() -> None:
    policy = recovery_rules.presets.ritz_carlton()
    now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    for amount in ("100.00", "5000.00", "20000.00"):  # approved, escalated, denied
        complaint = recovery_rules.Complaint(
            customer=recovery_rules.Customer(id="10442"),
            category="noise",
            requested=recovery_rules.Remedy(kind="refund", amount=recovery_rules.Money(amount, "USD")),
            received_at=now,
        )
        resolution = policy.decide(complaint, by="staff", now=now)
        again = policy.decide(complaint, by="staff", now=now)
        assert hash(resolution) == hash(again)
        assert len({resolution, again, resolution.trace[0]}) == 2
    assert hash(policy.levels[0]) == hash(pickle.loads(pickle.dumps(policy.levels[0])))  # noqa: S301
    assert hash(recovery_rules.ReadOnlyDict(a=1)) == hash(recovery_rules.ReadOnlyDict({"a": 1}))
    journal = recovery_rules.MemoryJournal()
    number = recovery_rules.ComplaintNumber(now.date(), "C1")
    draft = recovery_rules.Draft(kind="opened", state="open", actor="staff", at=now)
    event = journal.append(number, draft, expected_version=0, key="k1", request={})
    assert hash(event) == hash(pickle.loads(pickle.dumps(event)))  # noqa: S301 - our own bytes, just made
    assert hash(policy) == hash(pickle.loads(pickle.dumps(policy)))  # noqa: S301 - a policy is a value too
    for unhashable in (draft, recovery_rules.BulkEntry(number, draft, key="k2")):
        assert not isinstance(unhashable, collections.abc.Hashable)
        with pytest.raises(TypeError, match=f"unhashable type: '{type(unhashable).__name__}'"):
            hash(unhashable)


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["fastapi", "jinja2", "prometheus_client", "starlette"])
def test_the_decision_service_without_its_extra_says_which_extra_to_install(missing: str) -> None:
    """As every optional part does: a MissingDependencyError naming the extra, not a bare ModuleNotFoundError.

    Jinja2 (the console's templates) is imported when an app is made: that is where it is missed.
    """
    code = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None  # importing it now fails, as without the extra\n"
        "from recovery_rules import MemoryJournal, MissingDependencyError, presets\n"
        "try:\n"
        "    from recovery_rules.server import Tokens, create_app\n"
        "    create_app(presets.ritz_carlton(), MemoryJournal(), Tokens({}))\n"
        "except MissingDependencyError as error:\n"
        f"    assert {missing!r} in str(error) and 'recovery-rules[server]' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('served without the extra')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
