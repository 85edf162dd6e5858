"""How long a retried call may take: what a turn keeps its lease for, and what the settings check."""

from __future__ import annotations


def worst_case_seconds(timeout: float, read_retries: int, backoff: float = 0.5, *, read: bool) -> float:
    """How long one client call may take at worst: a read is tried ``1 + read_retries`` times with
    a doubling backoff between tries; a create is sent once. (A turn keeps its lease that long.)"""
    if not read:
        return timeout
    return timeout * (1 + read_retries) + backoff * (2 ** read_retries - 1)
