"""Orders as the conversation sees them: quotes, confirmations, statuses."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

ORDER_STATES = ("quoted", "confirmed", "paid", "processing", "success", "failed", "refunded", "expired",
                "cancelled")


@dataclass(frozen=True)
class Order:
    """An order row as the store returns it; ``price`` was fixed from ``products`` at the quote."""

    order_id: int
    ref: str
    code: str
    name: str
    target: str
    price: int
    status: str
    category: str | None = None
    provider: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    sn: str | None = None
    outcome: str | None = None  # of confirm / cancel: confirmed, already_confirmed, expired, ...

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Order:
        def ts(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(order_id=row["order_id"], ref=row["ref"], code=row["code"], name=row["name"],
                   target=row["target"], price=int(row["price"]), status=row["status"],
                   category=row.get("category"), provider=row.get("provider"), expires_at=ts(row.get("expires_at")),
                   created_at=ts(row.get("created_at")), sn=row.get("sn"), outcome=row.get("outcome"))

    def as_state(self) -> dict[str, Any]:
        """The compact form kept in the conversation state."""
        out = {k: v for k, v in asdict(self).items() if k in ("order_id", "ref", "code", "name", "target", "price",
                                                              "category", "provider")}
        out["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return out
