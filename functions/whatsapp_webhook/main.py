"""WhatsApp webhooks in the Cloud API dialect (Meta's, or the bridge's), on any path.

- ``GET``: Meta's verification handshake: ``hub.mode=subscribe`` and ``hub.verify_token`` equal
  (constant time) to WHATSAPP_VERIFY_TOKEN → ``hub.challenge`` echoed as text/plain; else 403.
- ``POST``: ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET,
  constant time) is checked before anything is parsed: missing → 401, wrong → 403 (production
  always has a secret; without one, outside production, bodies are taken unsigned). At most
  4 MiB (413), strict JSON (400), then every update of the body is handled *before* the answer,
  because a function's CPU is throttled once it has answered: 200 once the messages are answered,
  or recorded and left to the reconciler when a turn failed; 503 only when something could not be
  recorded, so Meta retries (its retries are absorbed by wamid dedupe). Nothing is written for a
  refused request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import functions_framework

log = logging.getLogger("whatsapp_webhook")

MAX_BODY_BYTES = 4 * 1024 * 1024  # Meta batches updates; any non-200 makes it retry for days
MAX_DEPTH = 16


def _json(body: dict, status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(body), status, {"Content-Type": "application/json"}


def signature_ok(secret: str, raw: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def _handshake(request, settings) -> tuple[str, int, dict[str, str]]:  # type: ignore[no-untyped-def]
    args = request.args
    expected = settings.whatsapp_verify_token.get_secret_value() if settings.whatsapp_verify_token else ""
    given = args.get("hub.verify_token", "")
    if args.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(given.encode(), expected.encode()):
        return args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}
    log.warning("webhook verification refused (mode %r)", args.get("hub.mode"))
    return "forbidden", 403, {"Content-Type": "text/plain"}


@functions_framework.http
def whatsapp_webhook(request):  # type: ignore[no-untyped-def]
    from shared.bootstrap import app

    shop_app = app()
    settings = shop_app.settings
    if request.method == "GET":
        return _handshake(request, settings)
    if request.method != "POST":
        return _json({"error": "GET or POST only"}, 405)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _json({"error": "body too large"}, 413)

    from shared.adapters.whatsapp.cloud import BadUpdate, parse_update
    from shared.domain.payloads import BadPayload, PayloadTooLarge, parse_json, read_limited
    from shared.errors import StoreUnavailable

    try:
        raw = read_limited(request.stream, request.content_length, MAX_BODY_BYTES)
    except PayloadTooLarge:
        return _json({"error": "body too large"}, 413)
    secret = settings.whatsapp_app_secret.get_secret_value() if settings.whatsapp_app_secret else None
    if secret is not None:
        header = request.headers.get("X-Hub-Signature-256")
        if not header:
            log.warning("webhook refused: no X-Hub-Signature-256")
            return _json({"error": "signature required"}, 401)
        if not signature_ok(secret, raw, header):
            log.warning("webhook refused: wrong X-Hub-Signature-256")
            return _json({"error": "invalid signature"}, 403)
    try:
        update = parse_update(parse_json(raw, max_bytes=MAX_BODY_BYTES, max_depth=MAX_DEPTH),
                              phone_id=settings.whatsapp_phone_id)
    except PayloadTooLarge:
        return _json({"error": "body too large"}, 413)
    except (BadPayload, BadUpdate) as exc:
        log.warning("webhook refused: malformed body (%s)", exc)
        return _json({"error": "malformed body"}, 400)
    try:
        outcome = shop_app.handle_whatsapp(update)
    except StoreUnavailable:
        log.exception("webhook could not be recorded: the database is unreachable (WhatsApp retries)")
        return _json({"error": "try again"}, 503)
    log.info("webhook: %s", outcome.as_json())
    return _json({"ok": True, **outcome.as_json()}, 200)
