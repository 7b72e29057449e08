"""The running service's state: the policy being served (swapped whole on reload), the journal, the tokens,
the clock, the decision log and the metrics. One ``Service`` per app, kept in ``app.state.service``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from recovery_rules import Journal, Policy, PolicyError, RecoveryRulesError

from ._auth import Tokens
from ._observe import DecisionLog, Metrics
from ._problems import ApiProblem
from ._settings import MIN_SESSION_KEY, load_policy, policy_file

__all__ = ["MIN_SESSION_KEY", "SESSION_LIFETIME", "Clock", "ReloadResult", "Service"]

Clock = Callable[[], dt.datetime]
LOG = "recovery_rules.server"
SESSION_LIFETIME = dt.timedelta(hours=12)
"""How long a console session lasts by default: a shift, after which the employee signs in again."""


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: ``loaded`` a new policy, found it ``unchanged``, or ``refused`` it (``problems``)."""

    result: str
    revision: str
    problems: tuple[str, ...] = ()


class Service:
    """What every request reads: the policy of the moment, the journal, who holds which token, the clock."""

    def __init__(
        self,
        policy: Policy,
        journal: Journal,
        tokens: Tokens,
        *,
        clock: Clock | None = None,
        policy_source: str | None = None,
        tokens_source: str | None = None,
        decision_log: DecisionLog | None = None,
        logger: logging.Logger | None = None,
        session_key: bytes | None = None,
        session_lifetime: dt.timedelta = SESSION_LIFETIME,
    ) -> None:
        self._policy = policy
        self.session_key = secrets.token_bytes(32) if session_key is None else session_key
        """What signs the console's sessions: each worker of one service must have the same."""
        self.session_lifetime = session_lifetime
        self.journal = journal
        self._tokens = tokens
        self.clock: Clock = clock or system_clock
        self.policy_source = policy_source
        self.tokens_source = tokens_source
        self.decisions = decision_log or DecisionLog(None)
        self.metrics = Metrics()
        self.log = logger or logging.getLogger(LOG)
        self._reloading = threading.Lock()
        self._reading_tokens = threading.Lock()
        self.proving = threading.Lock()  # the console proves one policy at a time (each holds a thread for seconds)
        self._stamp = self._file_stamp()
        self._served_stamp = self._stamp  # the file's stamp when the policy served was read from it
        self._tokens_stamp = _stamp_of(tokens_source)
        self.metrics.serving(policy.revision)

    @property
    def policy(self) -> Policy:
        """The policy being served. A request reads it once and decides with that one throughout, so a reload
        never changes the policy under a request that already started."""
        return self._policy

    @property
    def tokens(self) -> Tokens:
        """Who holds which token: the token file as it is now.

        Each request looks at the file (its size, time and inode, one ``stat``) and reads it again when it
        changed, so that a token minted into it works at once and one removed from it stops working at once,
        in every worker, with no reload. A file changed into one that does not read keeps the tokens read
        before, and is logged once, until it changes again.
        """
        if self.tokens_source is not None and _stamp_of(self.tokens_source) != self._tokens_stamp:
            self._reload_tokens(only_if_changed=True)
        return self._tokens

    def now(self) -> dt.datetime:
        """The clock's time, checked: a fault of the service's own clock (a naive time, or not a time) is a 500
        answered as ``internal`` and logged, never blamed on the request (a 422) nor recorded."""
        moment = self.clock()
        if isinstance(moment, dt.datetime):
            # read as the datetime it holds: a subclass's own methods (pendulum's, or one that lies) are not asked
            moment = dt.datetime.combine(dt.datetime.date(moment), dt.datetime.timetz(moment))
            if moment.utcoffset() is not None:
                return moment
        self.log.error(
            "the service's clock gave %s, not a timezone-aware datetime; pass create_app a clock such as "
            "lambda: datetime.now(timezone.utc)",
            type(moment).__name__ if not isinstance(moment, dt.datetime) else "a naive datetime",
        )
        raise ApiProblem("internal", "the service failed to answer; it was logged")

    def reload(self) -> ReloadResult:
        """Read the policy again from its source; serve it if it loads, else keep the old one and log why.

        The token file is read again too (when the service knows it), so a token removed from it stops working.

        The swap is one assignment: a request sees the old policy or the new one, never a mix.
        """
        with self._reloading:
            self._reload_tokens()
            old = self._policy
            if self.policy_source is None:
                return ReloadResult("unchanged", old.revision)
            self._stamp = self._file_stamp()
            try:
                new = load_policy(self.policy_source)
            except (PolicyError, RecoveryRulesError, OSError) as error:
                problems = tuple(str(problem) for problem in getattr(error, "problems", ())) or (str(error),)
                self.log.error(
                    "policy reload refused; still serving revision %s: %s", old.revision, "; ".join(problems)
                )
                self.metrics.reloads.labels(result="refused").inc()
                return ReloadResult("refused", old.revision, problems)
            self._served_stamp = self._stamp  # the file holds the policy served (the same one, or the new one)
            if new.revision == old.revision:
                self.metrics.reloads.labels(result="unchanged").inc()
                return ReloadResult("unchanged", old.revision)
            self._policy = new
            self.metrics.serving(new.revision)
            self.metrics.reloads.labels(result="loaded").inc()
            self.log.warning("policy reloaded: revision %s replaces %s", new.revision, old.revision)
            return ReloadResult("loaded", new.revision)

    def _reload_tokens(self, *, only_if_changed: bool = False) -> None:
        """Read the token file again (a token removed from it stops working); keep the old tokens if it fails."""
        if self.tokens_source is None:
            return
        with self._reading_tokens:  # one thread reads the file; the others, waiting, find it read
            stamp = _stamp_of(self.tokens_source)
            if only_if_changed and stamp == self._tokens_stamp:
                return
            self._tokens_stamp = stamp
            try:
                self._tokens = Tokens.from_file(self.tokens_source)
            except (RecoveryRulesError, OSError) as error:
                self.log.error("token file reload refused; the tokens read before still hold: %s", error)

    def reload_if_changed(self) -> ReloadResult | None:
        """Reload when the policy's file changed since it was last read (what ``--watch-policy`` does each second)."""
        return self.reload() if self.policy_changed() else None

    def policy_changed(self) -> bool:
        """Whether the policy's file changed since it was last read (its size, time or inode)."""
        return self.policy_source is not None and self._file_stamp() != self._stamp

    def file_holds_the_served_policy(self) -> bool:
        """Whether the policy's file is as it was when the policy served was read from it (not edited since: a
        reload refused, or none yet, leaves another policy in it than the one served)."""
        return self._served_stamp is not None and self._file_stamp() == self._served_stamp

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self.policy_source is None:
            return None
        try:
            return _stamp_of(policy_file(self.policy_source))
        except RecoveryRulesError:
            return None


def _stamp_of(path: str | os.PathLike[str] | None) -> tuple[int, int, int] | None:
    """What tells a file changed: its time, size and inode (``None``: no file, or none to be read)."""
    if path is None:
        return None
    try:
        status = os.stat(Path(path))
    except (OSError, ValueError):  # missing, unreadable, a name with a NUL
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)
