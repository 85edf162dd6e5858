"""Catalog use cases: sync the supplier's (Atlantic's) price lists into our catalog, and search it."""

from __future__ import annotations

import logging

from shared.domain.catalog import ProductHit, SyncResult, normalize, source_fields
from shared.domain.search import SearchQuery, parse_query
from shared.errors import SupplierError
from shared.ports import Catalog, Supplier

log = logging.getLogger(__name__)

PRICE_LISTS = ("prabayar", "pascabayar")


def sync_catalog(supplier: Supplier, catalog: Catalog, *, force: bool = False) -> SyncResult:
    """Fetch every price list, normalize it and sync it. A list that fails to load is left as it
    is (its products are not marked unavailable); if none loads, the error is raised."""
    rows: dict[str, dict] = {}
    synced: list[str] = []
    failures: list[SupplierError] = []
    for kind in PRICE_LISTS:
        try:
            items = supplier.price_list(kind)
        except SupplierError as exc:
            log.warning("catalog sync: the %s price list could not be loaded: %s", kind, exc)
            failures.append(exc)
            continue
        synced.append(kind)
        for item in items:
            rows[item.code] = normalize(item, kind).as_row(source_fields(item))
    if not synced:
        raise failures[0]
    result = catalog.sync(list(rows.values()), synced, force=force)
    log.info("catalog synced (%s): %d received, %d new, %d changed, %d now unavailable",
             "+".join(synced), result.received, result.new, result.changed, result.unavailable)
    return result


def search(catalog: Catalog, text: str, *, limit: int = 10) -> tuple[SearchQuery, list[ProductHit]]:
    """Understand ``text`` and return the query read from it with the best products, best first."""
    query = parse_query(text)
    return query, catalog.search(query, limit=limit)
