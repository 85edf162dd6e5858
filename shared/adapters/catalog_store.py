"""The Catalog port over any data transport: sync, search and stats as SQL functions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence

from shared.domain.catalog import CatalogStats, ProductHit, SyncResult
from shared.domain.search import SearchQuery
from shared.ports import Rpc


class SqlCatalog:
    """Implements :class:`shared.ports.Catalog` on top of an :class:`shared.ports.Rpc`."""

    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    def sync(self, rows: Sequence[Mapping[str, Any]], types: Sequence[str], *, force: bool = False) -> SyncResult:
        out = self.rpc.call("sync_products", {"p_items": [dict(r) for r in rows], "p_types": list(types),
                                              "p_force": force})
        return SyncResult(received=out["received"], new=out["new"], changed=out["changed"],
                          unavailable=out["unavailable"], types=tuple(types))

    def search(self, query: SearchQuery, *, limit: int = 10) -> list[ProductHit]:
        params: dict[str, Any] = {
            "p_category": query.category,
            "p_provider": query.provider,
            "p_nominal": query.nominal,
            "p_max_price": query.max_price,
            "p_min_quota": str(query.min_quota_gb) if query.min_quota_gb is not None else None,
            "p_min_validity": query.min_validity_days,
            "p_units": query.units,
            "p_terms": " ".join(query.terms) or None,
            "p_terms_required": bool(query.terms) and not query.structured,
            "p_sort": query.sort,
            "p_limit": limit,
        }
        rows = self.rpc.call("search_products", {k: v for k, v in params.items() if v is not None})
        return [
            ProductHit(
                code=r["code"], name=r["name"], category=r["category"], provider=r["provider"], type=r["type"],
                nominal=r.get("nominal"), price=int(r["price"]), status=r["status"],
                quota_gb=Decimal(str(r["quota_gb"])) if r.get("quota_gb") is not None else None,
                validity_days=r.get("validity_days"), units=r.get("units"),
            )
            for r in rows
        ]

    def stats(self) -> CatalogStats:
        out = self.rpc.call("catalog_stats", {})
        return CatalogStats(available=out["available"], empty=out["empty"], unavailable=out["unavailable"],
                            last_synced_at=out.get("last_synced_at"))
