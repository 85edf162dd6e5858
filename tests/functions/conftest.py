"""A shop on WhatsApp: World (tests/world.py) with WHATSAPP_* set, so the app builds the real pywa
messenger, pointed at the Graph API stand-in."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.fakes.graph import GraphStandIn
from tests.functions.whatsapp import PHONE_ID, TOKEN, WHATSAPP, Phone
from tests.world import World, make_world


@pytest.fixture
def graph() -> Iterator[GraphStandIn]:
    with GraphStandIn(token=TOKEN, phone_id=PHONE_ID) as g:
        yield g


def _shop(fresh_database: Any, redis_url: str, graph: GraphStandIn, **settings: Any) -> Iterator[tuple[World, Phone]]:
    for world in make_world(fresh_database, redis_url, whatsapp_api_base_url=graph.url, **{**WHATSAPP, **settings}):
        yield world, Phone(world, graph)


@pytest.fixture
def shop(fresh_database: Any, redis_url: str, graph: GraphStandIn) -> Iterator[tuple[World, Phone]]:
    yield from _shop(fresh_database, redis_url, graph)


@pytest.fixture
def shop_with_template(fresh_database: Any, redis_url: str, graph: GraphStandIn) -> Iterator[tuple[World, Phone]]:
    yield from _shop(fresh_database, redis_url, graph, whatsapp_template_name="kabar_pesanan")
