"""Money as customers read it: integer rupiah, written ``Rp10.000``."""

from __future__ import annotations


def rupiah(amount: int) -> str:
    """``10000`` → ``Rp10.000``; ``-2500`` → ``-Rp2.500``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(int(amount)):,}".replace(",", ".")
