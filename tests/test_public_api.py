"""The public surface: what recovery_rules exports, and the exception tree."""

from __future__ import annotations

import datetime as dt
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
        "lazy = ('recovery_rules._case', 'recovery_rules._journal', 'recovery_rules._wording',\n"
        "        'recovery_rules._durable', 'recovery_rules._step_words', 'sqlite3')\n"
        "loaded = [name for name in lazy if name in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert 'Case' in dir(recovery_rules)\n"
        "from recovery_rules import Case, SQLiteJournal, say\n"
        "assert recovery_rules.Case is Case and 'recovery_rules._case' in sys.modules\n"
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
