"""The reliability suite: the library's guarantees under load, crashes, faults, tampering and bad input.

Each test runs against SQLite and PostgreSQL and reports its figures (see ``conftest.py``'s
``figure`` fixture). ``RECOVERY_RULES_RELIABILITY=full`` (``make reliability``) runs the full sizes;
``make test`` runs smaller, still concurrent ones. ``docs/explanation/guarantees-under-failure.md``
says what each test proves.
"""
