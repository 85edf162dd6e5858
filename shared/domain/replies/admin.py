"""What the shop's admins read (WhatsApp alerts). Indonesian only: the admins are the shop's own."""

from __future__ import annotations

from typing import Any, Mapping

from shared.domain.replies.common import attr, rupiah


def admin_escalation(order: Any) -> str:
    return (f"[ADMIN] Pesanan {attr(order, 'ref')} ({attr(order, 'name')} ke {attr(order, 'target')}, "
            f"{rupiah(attr(order, 'price'))}) masih processing sejak lama; "
            f"Atlantic id: {attr(order, 'atlantic_id') or 'belum ada'}. Mohon dicek manual.")


def admin_conflict(order: Any, status: str) -> str:
    return (f"[ADMIN] Pesanan {attr(order, 'ref')} sudah {attr(order, 'status')}, tapi Atlantic sekarang bilang {status}. "
            "Mohon dicek manual.")


def admin_undelivered(info: Mapping[str, Any]) -> str:
    text = str(info.get("text") or "").replace("\n", " ")
    preview = text if len(text) <= 80 else text[:79] + "…"
    return (f"⚠️ Pesan ke {info['to']} gagal terkirim (kode {info.get('code') or '-'}: {info.get('error') or '-'}).\n"
            f"Isinya: \"{preview}\"\nTolong hubungi pelanggan ini langsung ya.")


def admin_low_balance(balance: int, threshold: int) -> str:
    return f"[ADMIN] Saldo Atlantic tinggal {rupiah(balance)} (batas {rupiah(threshold)}). Segera deposit ya."
