"""Atlantic H2H callbacks: ``POST /webhook/atlantic`` (any path: Cloud Functions serve the root).

check ``X-ATL-Signature`` (md5 of the account username, compared in constant time) → record the
raw event once per (event, id, status) → re-query the transaction or deposit at Atlantic and apply
*that* answer (the body's claim is never trusted) → 200. 401 for a missing or wrong signature,
400 for a malformed body, 503 only when nothing could be recorded (so Atlantic may retry). An event
that was recorded but could not be applied still answers 200: the reconciler finishes it.
"""

from __future__ import annotations

import json
import logging

import functions_framework

log = logging.getLogger("atlantic_webhook")


def _json(body: dict, status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(body), status, {"Content-Type": "application/json"}


@functions_framework.http
def atlantic_webhook(request):  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from shared.bootstrap import app
    from shared.domain.provider import Callback
    from shared.errors import BotError
    from shared.services import callbacks

    if request.method != "POST":
        return _json({"error": "POST only"}, 405)
    shop_app = app()
    if not callbacks.signature_ok(request.headers.get("X-ATL-Signature"), shop_app.callback_username()):
        log.warning("callback refused: missing or wrong X-ATL-Signature")
        return _json({"error": "invalid signature"}, 401)
    try:
        body = json.loads(request.get_data() or b"")
        callback = Callback.model_validate(body)
        if not callback.data or not (callback.data.get("id") or callback.data.get("reff_id")):
            raise ValueError("no data.id or data.reff_id")
    except (ValueError, ValidationError) as exc:
        log.warning("callback refused: malformed body (%s)", exc)
        return _json({"error": "malformed body"}, 400)
    try:
        event = callbacks.record(shop_app.store, callback, body)
    except BotError:
        log.exception("callback %s could not be recorded", callbacks.event_key(callback))
        return _json({"error": "try again"}, 503)
    if event.applied_at is not None:
        return _json({"ok": True, "replay": True}, 200)
    try:
        outcome = callbacks.apply(shop_app.shop(shop_app.messenger()), callback)
        if callbacks.settled(outcome):
            shop_app.store.mark_event_applied(event.id)
        else:  # Atlantic does not confirm the claim yet: keep the event open for the real one
            shop_app.store.mark_event_applied(event.id, error=f"not confirmed: Atlantic says {outcome}")
    except Exception as exc:  # recorded: answering 200 stops Atlantic's retries, the reconciler finishes it
        log.exception("callback %s recorded but not applied", callbacks.event_key(callback))
        try:
            shop_app.store.mark_event_applied(event.id, error=f"{type(exc).__name__}: {exc}")
        except BotError:
            pass
        return _json({"ok": True, "deferred": True}, 200)
    log.info("callback %s: %s", callbacks.event_key(callback), outcome)
    return _json({"ok": True, "outcome": outcome}, 200)
