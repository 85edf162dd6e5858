"""Running a SQL-function call again after a deadlock or a serialization failure.

Every call of ours is one transaction; SQLSTATE 40P01 (deadlock) or 40001 (serialization failure)
means the server rolled all of it back, so running it again is safe. Both transports do so a few
times, with a short jittered pause, before the error reaches the caller (as
:class:`shared.errors.StoreUnavailable`, which callers treat as "try again later", never as lost).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

from shared.errors import RETRYABLE_SQLSTATES

log = logging.getLogger(__name__)
T = TypeVar("T")

CONFLICT_ATTEMPTS = 4


def retry_conflicts(fn: str, call: Callable[[], T], sqlstate_of: Callable[[Exception], str | None], *,
                    attempts: int = CONFLICT_ATTEMPTS, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``call``; when it fails with a deadlock or serialization failure, run it again, up to
    ``attempts`` times in all. Shared by both transports."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            state = sqlstate_of(exc)
            if state not in RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            log.warning("%s: %s (SQLSTATE %s), retrying (%d/%d)", fn,
                        "deadlock" if state == "40P01" else "serialization failure", state, attempt, attempts - 1)
            sleep(random.uniform(0.005, 0.02) * 2 ** attempt)
    raise AssertionError("unreachable")
