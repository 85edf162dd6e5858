"""Atlantic H2H callbacks: ``POST /webhook/atlantic`` (any path: Cloud Functions serve the root).

Thin on purpose: read a body of at most 64 KiB (413 past it), check ``X-ATL-Signature`` (md5 of
the account username, constant time; 401), parse it strictly (400), then
:func:`shared.services.callbacks.handle` looks the object up, asks Atlantic and applies a confirmed
answer once. 503 only when the database is unreachable (so Atlantic may retry); everything else is
200, because a retry could not change it. Nothing is stored for a refused request.
"""

from __future__ import annotations

import json
import logging

import functions_framework

log = logging.getLogger("atlantic_webhook")

MAX_BODY_BYTES = 64 * 1024  # a callback is a few hundred bytes


def _json(body: dict, status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(body), status, {"Content-Type": "application/json"}


@functions_framework.http
def atlantic_webhook(request):  # type: ignore[no-untyped-def]
    from shared.bootstrap import app
    from shared.domain.payloads import BadPayload, PayloadTooLarge, parse_json, read_limited
    from shared.domain.supplier import Callback
    from shared.errors import StoreUnavailable
    from shared.services import callbacks

    if request.method != "POST":
        return _json({"error": "POST only"}, 405)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _json({"error": "body too large"}, 413)
    shop_app = app()
    if not callbacks.signature_ok(request.headers.get("X-ATL-Signature"), shop_app.callback_username()):
        log.warning("callback refused: missing or wrong X-ATL-Signature")
        return _json({"error": "invalid signature"}, 401)
    try:
        body = parse_json(read_limited(request.stream, request.content_length, MAX_BODY_BYTES),
                          max_bytes=MAX_BODY_BYTES, max_depth=16)
        callback = Callback.parse(body)
    except PayloadTooLarge:
        return _json({"error": "body too large"}, 413)
    except (BadPayload, ValueError) as exc:
        log.warning("callback refused: malformed body (%s)", exc)
        return _json({"error": "malformed body"}, 400)
    try:
        outcome = callbacks.handle(shop_app.shop, shop_app.store, callback, body)
    except StoreUnavailable:
        log.exception("callback for %s could not be handled: the database is unreachable", callback.reff_id)
        return _json({"error": "try again"}, 503)
    except Exception:  # a bug: the reconciler polls every unfinished order and payment anyway
        log.exception("callback for %s failed; the reconciler will finish it", callback.reff_id)
        return _json({"ok": True, "outcome": "deferred"}, 200)
    log.info("callback %s for %s: %s", callback.event, callback.reff_id or callback.id, outcome)
    return _json({"ok": True, "outcome": outcome}, 200)
