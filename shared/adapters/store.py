"""The Store port over any data transport: one SQL function call per method.

The SQL functions live in ``supabase/migrations``; this module only shapes arguments and turns
their JSON answers into the frozen types of :mod:`shared.domain`. Because both transports return
the same JSON, the same code serves psycopg and PostgREST.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from shared.domain.ledger import Posting, PostingKind, RecordedEvent
from shared.domain.turns import (
    Customer,
    InboundMessage,
    Lease,
    OutboundMessage,
    OutboxAck,
    DeliveryStatus,
    OutboxItem,
    ReplyChoice,
    SellerEcho,
    StoredMessage,
    TurnEnd,
    TurnStart,
)
from shared.ports import Rpc


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _customer(row: Mapping[str, Any] | None) -> Customer | None:
    if not row:
        return None
    return Customer(
        id=row["id"],
        wa_id=row.get("wa_id"),
        user_id=row.get("wa_user_id"),
        name=row.get("name"),
        saldo=int(row["saldo"]),
        blocked=bool(row["blocked"]),
    )


def _message(row: Mapping[str, Any]) -> StoredMessage:
    return StoredMessage(
        id=row["id"],
        direction=row["direction"],
        kind=row["kind"],
        text=row.get("text"),
        wamid=row.get("wamid"),
        media_uri=row.get("media_uri"),
        payload=row.get("payload") or {},
        at=_ts(row.get("at")),
        reply=ReplyChoice.from_json((row.get("payload") or {}).get("reply")),
    )


def _lease(row: Mapping[str, Any] | None) -> Lease | None:
    return Lease(token=row["token"], until=_ts(row["until"])) if row else None  # type: ignore[arg-type]


def _acks(acks: Sequence[OutboxAck]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in acks:
        if a.wamid:
            out.append({"outbox_id": a.outbox_id, "wamid": a.wamid})
            continue
        fail: dict[str, Any] = {"outbox_id": a.outbox_id, "error": a.error or "send failed"}
        if a.code is not None:
            fail["code"] = a.code
        if a.permanent:
            fail["permanent"] = True
        if a.hold:
            fail["hold"] = True
        out.append(fail)
    return out


def _turn_start(out: Mapping[str, Any]) -> TurnStart:
    return TurnStart(
        status=out["status"],
        customer=_customer(out.get("customer")),
        conversation_id=out.get("conversation_id"),
        version=out.get("version"),
        state=out.get("state") or {},
        lease=_lease(out.get("lease")),
        messages=tuple(_message(m) for m in out.get("messages", ())),
        history=tuple(_message(m) for m in out.get("history", ())),
        usage=out.get("usage") or {},
        facts=out.get("facts") or {},
    )


class SqlStore:
    """Implements :class:`shared.ports.Store` on top of an :class:`shared.ports.Rpc`."""

    def __init__(self, rpc: Rpc, *, lease_seconds: int = 60, history_limit: int = 12,
                 timezone: str = "Asia/Jakarta") -> None:
        self.rpc = rpc
        self.lease_seconds = lease_seconds
        self.history_limit = history_limit
        self.timezone = timezone  # the shop's day, for the daily token budget

    def begin_turn(self, msg: InboundMessage, *, acks: Sequence[OutboxAck] = ()) -> TurnStart:
        params: dict[str, Any] = {
            "p_wamid": msg.wamid,
            "p_wa_id": msg.wa_id,
            "p_user_id": msg.user_id,
            "p_name": msg.name,
            "p_kind": msg.kind,
            "p_body": msg.text,
            "p_media_uri": msg.media_uri,
            "p_payload": {**msg.payload, "reply": msg.reply.to_json()} if msg.reply else dict(msg.payload),
            "p_sent_at": msg.sent_at.isoformat() if msg.sent_at else None,
            "p_lease_seconds": self.lease_seconds,
            "p_history_limit": self.history_limit,
            "p_timezone": self.timezone,
        }
        if acks:
            params["p_acks"] = _acks(acks)
        return _turn_start(self.rpc.call("begin_turn", params))

    def extend_lease(self, conversation_id: int, lease_token: str) -> Lease:
        out = self.rpc.call("extend_lease", {"p_conversation_id": conversation_id, "p_lease_token": str(lease_token),
                                             "p_lease_seconds": self.lease_seconds})
        return _lease(out)  # type: ignore[return-value]

    def claim_stale_turns(self, *, older_than: int = 60, limit: int = 20) -> list[TurnStart]:
        rows = self.rpc.call("claim_stale_turns", {"p_limit": limit, "p_older_than": older_than,
                                                   "p_lease_seconds": self.lease_seconds,
                                                   "p_history_limit": self.history_limit,
                                                   "p_timezone": self.timezone})
        return [_turn_start(r) for r in rows or ()]

    def end_turn(
        self,
        conversation_id: int,
        lease_token: str,
        state: Mapping[str, Any],
        outbound: Sequence[OutboundMessage] = (),
        *,
        acks: Sequence[OutboxAck] = (),
    ) -> TurnEnd:
        params: dict[str, Any] = {
            "p_conversation_id": conversation_id,
            "p_lease_token": str(lease_token),
            "p_state": dict(state),
            "p_outbound": [{"kind": m.kind, "text": m.text, "payload": dict(m.payload), "tokens": m.tokens}
                           for m in outbound],
            "p_lease_seconds": self.lease_seconds,
            "p_timezone": self.timezone,
        }
        if acks:
            params["p_acks"] = _acks(acks)
        out = self.rpc.call("end_turn", params)
        return TurnEnd(
            version=out["version"],
            outbox=tuple(
                OutboxItem(
                    id=o["id"],
                    message_id=o["message_id"],
                    wa_id=o.get("wa_id"),
                    user_id=o.get("user_id"),
                    kind=o["kind"],
                    text=o.get("text"),
                    payload=o.get("payload") or {},
                )
                for o in out.get("outbox", ())
            ),
            queued=tuple(_message(m) for m in out.get("queued", ())),
            lease=_lease(out.get("lease")),
        )

    def ack_outbox(self, acks: Sequence[OutboxAck]) -> int:
        if not acks:
            return 0
        return int(self.rpc.call("ack_outbox", {"p_acks": _acks(acks)})["updated"])

    def record_statuses(self, statuses: Sequence[DeliveryStatus]) -> dict[str, int]:
        if not statuses:
            return {"applied": 0, "unknown": 0}
        out = self.rpc.call("record_statuses", {"p_statuses": [s.to_json() for s in statuses]})
        return {"applied": int(out["applied"]), "unknown": int(out["unknown"])}

    def record_echo(self, echo: SellerEcho, *, quiet_seconds: int) -> str:
        out = self.rpc.call("record_echo", {
            "p_wamid": echo.wamid, "p_wa_id": echo.wa_id, "p_user_id": echo.user_id, "p_kind": echo.kind,
            "p_body": echo.text, "p_sent_at": echo.sent_at.isoformat() if echo.sent_at else None,
            "p_quiet_seconds": quiet_seconds})
        return str(out["status"])

    def post_ledger(
        self,
        customer_id: int,
        kind: PostingKind,
        amount: int,
        key: str,
        *,
        order_id: int | None = None,
        payment_id: int | None = None,
        note: str | None = None,
    ) -> Posting:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("amount must be integer rupiah")
        out = self.rpc.call(
            "post_ledger",
            {
                "p_customer_id": customer_id,
                "p_kind": kind,
                "p_amount": amount,
                "p_idem_key": key,
                "p_order_id": order_id,
                "p_payment_id": payment_id,
                "p_note": note,
            },
        )
        return Posting(
            id=out["id"],
            customer_id=out["customer_id"],
            kind=out["kind"],
            amount=int(out["amount"]),
            balance_after=int(out["balance_after"]),
            saldo=int(out["saldo"]),
            replayed=bool(out["replayed"]),
        )

    def record_event(self, source: str, key: str, payload: Mapping[str, Any]) -> RecordedEvent:
        out = self.rpc.call(
            "record_event", {"p_source": source, "p_event_key": key, "p_payload": dict(payload)}
        )
        return RecordedEvent(
            id=out["id"],
            created=bool(out["created"]),
            applied_at=_ts(out.get("applied_at")),
            attempts=int(out["attempts"]),
            payload=out.get("payload") or {},
        )

    def mark_event_applied(self, event_id: int, *, error: str | None = None, retry: bool = True) -> None:
        self.rpc.call("mark_event_applied", {"p_event_id": event_id, "p_error": error, "p_retry": retry})
