"""The public surface: what recovery_rules exports, and the exception tree."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib.resources
import inspect
import pickle
import subprocess
import sys

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
