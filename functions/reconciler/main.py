"""The reconciler, for Cloud Scheduler (HTTP, any path): one pass over unfinished work.

Polls pending payments and in-flight transactions, resubmits orders whose submission outcome is
unknown (same reff_id), expires quotes and QRIS, sends pending notices and escalations, resends the
outbox, re-syncs the catalog when due, and alerts admins on a low Atlantic balance. Safe to run
concurrently with itself. Also ``python -m shared reconcile``.
"""

from __future__ import annotations

import json

import functions_framework


@functions_framework.http
def reconciler(request):  # type: ignore[no-untyped-def]
    from shared.bootstrap import app

    shop_app = app()
    report = shop_app.reconcile()
    return json.dumps({"ok": True, **report}), 200, {"Content-Type": "application/json"}
