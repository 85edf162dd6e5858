"""The reconciler: one pass over everything that did not finish on its own.

Safe to run concurrently with itself: every batch of work is claimed in SQL (``SKIP LOCKED`` and a
lease), notices and escalations are claimed once, and periodic jobs are claimed per period. Each
step is isolated: one failing does not stop the others.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any, Callable

from shared.domain import replies
from shared.errors import SupplierError
from shared.ports import Store
from shared.services import callbacks
from shared.services.fulfilment import check_order, fulfil
from shared.services.payments import refresh_payment
from shared.services.shop import Shop

log = logging.getLogger(__name__)

RECHECK_MIN_AGE_SECONDS = 600  # a finished order is re-checked once, no sooner than this after it finished
STALE_TURN_SECONDS = 10        # inbound messages this old, with no turn running, are answered here


def reconcile_once(shop: Shop, *, sync_catalog: Callable[[], Any] | None = None, store: Store | None = None,
                   pipeline: Any = None) -> dict[str, int]:
    """One pass. ``store`` enables the re-check of callbacks kept unverified; ``pipeline`` (a
    :class:`shared.services.pipeline.Pipeline`) answers conversations whose turn died."""
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
            except SupplierError as exc:  # Atlantic's refusal is news, not a bug: no traceback
                log.warning("%s %s: Atlantic refused: %s", what, item.ref, exc)
            except Exception:
                log.exception("%s %s failed", what, item.ref)
        return n

    def payments() -> int:
        # the lease is the polling interval: a payment is asked about again after check_after_seconds
        claimed = shop.orders.claim_payments(min_age=s.check_after_seconds, lease=s.check_after_seconds)
        return each(claimed, lambda p: refresh_payment(shop, p).status != "pending", "refreshing payment")

    def submissions() -> int:
        claimed = shop.orders.claim_submissions(min_age=s.resubmit_after_seconds, lease=s.resubmit_after_seconds)
        return each(claimed, lambda o: fulfil(shop, o.ref, resubmit=o.status == "processing") is not None,
                    "submitting order")

    def checks() -> int:
        claimed = shop.orders.claim_checks(min_age=s.check_after_seconds, lease=s.check_after_seconds)
        return each(claimed, lambda o: check_order(shop, o).status != "processing", "checking order")

    def rechecks() -> int:
        # finished orders of the last RECHECK_FINISHED_HOURS, once each: a reversal is recorded
        # and the admins told (settle_order), never paid or refunded a second time
        if s.recheck_finished_hours <= 0:
            return 0
        claimed = shop.orders.claim_rechecks(min_age=RECHECK_MIN_AGE_SECONDS, window=s.recheck_finished_hours * 3600)
        return each(claimed, lambda o: check_order(shop, o).outcome == "conflict", "re-checking order")

    def unverified() -> int:
        if store is None:
            return 0
        return callbacks.recheck_events(shop, store, min_age=s.check_after_seconds, window=86400)

    def stale_turns() -> int:
        if pipeline is None:
            return 0
        answered, started = 0, time.monotonic()
        for start in pipeline.store.claim_stale_turns(older_than=STALE_TURN_SECONDS):
            try:
                pipeline.resume(start, started)
                answered += 1
            except Exception:
                log.exception("answering stale conversation %s failed", start.conversation_id)
        return answered

    def notices() -> int:
        claimed = shop.orders.claim_pending_notices(min_age=s.pending_notice_seconds)
        shop.notifier.send([{"customer_id": o.customer_id,
                             "text": replies.still_processing(o, lang=shop.notifier.lang(o.customer_id))}
                            for o in claimed])
        return len(claimed)

    def escalations() -> int:
        claimed = shop.orders.claim_escalations(min_age=s.escalate_after_seconds)
        for order in claimed:
            log.error("order %s unresolved after %d s: escalated", order.ref, s.escalate_after_seconds)
            shop.notifier.admins(s.admin_wa_ids, replies.admin_escalation(order))
        return len(claimed)

    def outbox() -> int:
        if shop.notifier.messenger is None:
            return 0
        items = shop.orders.claim_outbox(older_than=60)
        shop.notifier.deliver(items)
        return len(items)

    def outbox_failed() -> int:
        # rows that could not be delivered at all (a permanent refusal, or retries run out): the
        # admins hear of each once; an alert that fails itself is only logged (no alert loops)
        claimed = shop.orders.claim_failed_outbox()
        for item, why in claimed:
            who = item.wa_id or item.user_id or "?"
            log.error("outbox %s to %s failed for good (code %s): %s", item.id, who, why.get("error_code"), why.get("error"))
            if item.payload.get("admin_alert") or who in s.admin_wa_ids:
                continue
            shop.notifier.admins(s.admin_wa_ids, replies.admin_undelivered(
                {"to": who, "code": why.get("error_code"), "error": why.get("error"), "text": item.text or ""}))
        return len(claimed)

    def catalog() -> int:
        if sync_catalog is None or not shop.orders.claim_job("catalog_sync", s.catalog_sync_minutes * 60):
            return 0
        sync_catalog()
        return 1

    def balance() -> int:
        if not shop.orders.claim_job("balance_check", 600):
            return 0
        profile = shop.supplier.profile()
        if profile.balance < s.low_balance_threshold and shop.orders.claim_job("low_balance_alert", 3600):
            log.warning("Atlantic balance %d is below %d", profile.balance, s.low_balance_threshold)
            shop.notifier.admins(s.admin_wa_ids, replies.admin_low_balance(profile.balance, s.low_balance_threshold))
            return 1
        return 0

    for name, work in (("payments_settled", payments), ("orders_submitted", submissions),
                       ("orders_finished", checks), ("reversals_found", rechecks),
                       ("callbacks_verified", unverified), ("stale_turns_answered", stale_turns),
                       ("pending_notices", notices), ("escalations", escalations),
                       ("outbox_resent", outbox), ("outbox_failed", outbox_failed), ("catalog_synced", catalog), ("low_balance_alerts", balance)):
        step(name, work)
    log.info("reconcile: %s", dict(done))
    return dict(done)
