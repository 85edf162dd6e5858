"""The customer's saldo: the balance and its recent movements (the ledger)."""

from __future__ import annotations

from typing import Any, Sequence

from shared.domain.replies.common import DEFAULT_LANG, attr, local_time, moment_of, pick, rupiah

MOVEMENT_NAMES = {"credit": "Masuk", "debit": "Keluar", "refund": "Refund", "fee_refund": "Refund biaya"}
MOVEMENT_NAMES_EN = {"credit": "In", "debit": "Out", "refund": "Refund", "fee_refund": "Fee refund"}


def balance(saldo: int, *, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, f"Saldo kakak sekarang *{rupiah(saldo)}* 💰", f"Your saldo is *{rupiah(saldo)}* 💰")


def _note(note: Any, lang: str) -> str:
    """A ledger note (``bayar BJ…``, ``QRIS PY…``, ``refund BJ…``) in the reader's language."""
    text = str(note or "")
    if lang == "en" and text.startswith("bayar "):
        return "payment " + text[len("bayar "):]
    return text


def mutations(rows: Sequence[Any], saldo: int, *, zone: str = "Asia/Jakarta", lang: str = DEFAULT_LANG) -> str:
    """The saldo and its last movements (``recent_ledger`` rows: kind, amount, note and ``at``, the
    time shown on the shop's clock ``zone`` when a row carries it)."""
    if not rows:
        return pick(lang, f"Saldo kakak *{rupiah(saldo)}*, belum ada mutasi.",
                    f"Your saldo is *{rupiah(saldo)}*, no movements yet.")
    names = MOVEMENT_NAMES_EN if lang == "en" else MOVEMENT_NAMES
    lines = [pick(lang, f"Saldo kakak *{rupiah(saldo)}*. Mutasi terakhir:",
                  f"Your saldo is *{rupiah(saldo)}*. Recent movements:")]
    for r in rows:
        kind, moment = attr(r, "kind"), moment_of(attr(r, "at"))
        when = f"{local_time(moment, zone, lang=lang)}: " if moment else ""
        line = f"• {when}{names.get(kind, kind)} {rupiah(abs(int(attr(r, 'amount'))))} — {_note(attr(r, 'note'), lang)}"
        lines.append(line.rstrip(" —"))
    return "\n".join(lines)
