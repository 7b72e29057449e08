"""A deadline for one block of a fuzz test: a hang fails the run instead of stopping the suite."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def alarm(seconds: float, error: Callable[[str], BaseException] = TimeoutError) -> Iterator[None]:
    """Raise ``error(message)`` in the block once it has run ``seconds``.

    Signals arrive in the main thread only: elsewhere, or without ``setitimer``, the block runs
    without a deadline. ``error`` may be a ``BaseException`` that no ``except Exception`` in the
    code under test swallows, or ``TimeoutError``, which the command line reports as unexpected.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise error(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
