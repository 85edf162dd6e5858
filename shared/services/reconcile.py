"""The reconciler: one pass over everything that did not finish on its own.

Safe to run concurrently with itself: every batch of work is claimed in SQL (``SKIP LOCKED`` and a
lease), notices and escalations are claimed once, and periodic jobs are claimed per period. Each
step is isolated: one failing does not stop the others.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Callable

from shared.domain import replies
from shared.services.money import Shop, check_order, fulfil, refresh_payment

log = logging.getLogger(__name__)


def reconcile_once(shop: Shop, *, sync_catalog: Callable[[], Any] | None = None) -> dict[str, int]:
    s = shop.settings
    done: Counter[str] = Counter()

    def step(name: str, work: Callable[[], int | None]) -> None:
        try:
            done[name] += int(work() or 0)
        except Exception:
            log.exception("reconcile step %s failed", name)
            done[f"{name}_errors"] += 1

    step("quotes_expired", shop.orders.expire_quotes)

    def each(items: list[Any], work: Callable[[Any], bool], what: str) -> int:
        """Run ``work`` on every claimed item, isolating failures; count the items it settled."""
        n = 0
        for item in items:
            try:
                n += bool(work(item))
            except Exception:
                log.exception("%s %s failed", what, item.ref)
        return n

    def payments() -> int:
        # the lease is the polling interval: a payment is asked about again after check_after_seconds
        claimed = shop.orders.claim_payments(min_age=s.check_after_seconds, lease=s.check_after_seconds)
        return each(claimed, lambda p: refresh_payment(shop, p).status != "pending", "refreshing payment")

    def submissions() -> int:
        claimed = shop.orders.claim_orders("submit", min_age=s.resubmit_after_seconds, lease=s.resubmit_after_seconds)
        return each(claimed, lambda o: fulfil(shop, o.ref, resubmit=o.status == "processing") is not None,
                    "submitting order")

    def checks() -> int:
        claimed = shop.orders.claim_orders("check", min_age=s.check_after_seconds, lease=s.check_after_seconds)
        return each(claimed, lambda o: check_order(shop, o).status != "processing", "checking order")

    def notices() -> int:
        claimed = shop.orders.claim_orders("pending_notice", min_age=s.pending_notice_seconds)
        shop.notifier.send([{"customer_id": o.customer_id, "text": replies.still_processing(
            {"ref": o.ref, "name": o.name})} for o in claimed])
        return len(claimed)

    def escalations() -> int:
        claimed = shop.orders.claim_orders("escalate", min_age=s.escalate_after_seconds)
        for order in claimed:
            log.error("order %s unresolved after %d s: escalated", order.ref, s.escalate_after_seconds)
            shop.notifier.admins(s.admin_wa_ids, replies.admin_escalation(
                {"ref": order.ref, "name": order.name, "target": order.target, "price": order.price,
                 "atlantic_id": order.atlantic_id}))
        return len(claimed)

    def outbox() -> int:
        if shop.notifier.messenger is None:
            return 0
        items = shop.orders.claim_outbox(older_than=60)
        shop.notifier.deliver(items)
        return len(items)

    def catalog() -> int:
        if sync_catalog is None or not shop.orders.claim_job("catalog_sync", s.catalog_sync_minutes * 60):
            return 0
        sync_catalog()
        return 1

    def balance() -> int:
        if not shop.orders.claim_job("balance_check", 600):
            return 0
        profile = shop.provider.profile()
        if profile.balance < s.low_balance_threshold and shop.orders.claim_job("low_balance_alert", 3600):
            log.warning("Atlantic balance %d is below %d", profile.balance, s.low_balance_threshold)
            shop.notifier.admins(s.admin_wa_ids, replies.admin_low_balance(profile.balance, s.low_balance_threshold))
            return 1
        return 0

    for name, work in (("payments_settled", payments), ("orders_submitted", submissions),
                       ("orders_finished", checks), ("pending_notices", notices), ("escalations", escalations),
                       ("outbox_resent", outbox), ("catalog_synced", catalog), ("low_balance_alerts", balance)):
        step(name, work)
    log.info("reconcile: %s", dict(done))
    return dict(done)
