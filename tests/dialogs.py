"""Scripted dialogs (tests/data/dialogs.json) through the real turn pipeline, on two paths:

- ``rules``: no model at all, the rule engine answers;
- ``model``: the real google-genai SDK against the scripted Gemini stand-in, which answers each
  turn that reaches it with the dialog's ``model`` script (a tool call or text).

``python -m tests.dialogs`` prints the report: intent and slot accuracy of the rule-based
understanding, model calls per turn and prompt size per turn.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from shared.adapters.atlantic import AtlanticClient
from shared.adapters.catalog_store import SqlCatalog
from shared.adapters.gemini import GeminiModel
from shared.adapters.orders_store import SqlOrders
from shared.adapters.store import SqlStore
from shared.domain.money import rupiah
from shared.domain.nlu import understand
from shared.domain.turns import InboundMessage, OutboxItem
from shared.services.conversation.agent import Agent
from shared.services.conversation.context import Deps, Limits
from shared.services.failover import Link, ModelChain
from shared.services.shop import Notifier, Shop
from shared.services.pipeline import Pipeline
from tests.fakes import gemini as stub

DIALOGS = json.loads((Path(__file__).parent / "data" / "dialogs.json").read_text())
KEYS = ("AIzaStubKeyProjectA1", "AIzaStubKeyProjectB2")


class Collect:
    """A Messenger that keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []

    def send(self, item: OutboxItem) -> str:
        self.sent.append(item)
        return f"wamid.test.{uuid.uuid4().hex}"

    def typing(self, wamid: str) -> None:
        pass


def shop(rpc: Any, sandbox_url: str, messenger: Any = None) -> Shop:
    """Payments and fulfilment against the Atlantic sandbox at ``sandbox_url``."""
    orders = SqlOrders(rpc)
    return Shop(orders, AtlanticClient(sandbox_url, "sandbox", backoff=0), Notifier(orders, SqlStore(rpc), messenger))


def model_deps(rpc: Any, kv: Any, gemini_url: str, sandbox_url: str, *, links: list[Link] | None = None,
               limits: Limits | None = None) -> Deps:
    links = links or [Link("project-a", KEYS[0], "gemini-2.5-flash-lite"), Link("project-b", KEYS[1], "gemini-2.5-flash-lite")]
    chain = ModelChain(GeminiModel(base_url=gemini_url, timeout=10), links, kv)
    return Deps(SqlCatalog(rpc), SqlOrders(rpc), shop(rpc, sandbox_url), limits or Limits(),
                agent=Agent(chain, shop_name="Toko Uji"))


def rules_deps(rpc: Any, sandbox_url: str, limits: Limits | None = None) -> Deps:
    return Deps(SqlCatalog(rpc), SqlOrders(rpc), shop(rpc, sandbox_url), limits or Limits())


@dataclass
class TurnOutcome:
    user: str
    text: str
    facts: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    ms: float = 0.0  # time spent in the pipeline for this message


def _fill(value: Any, memo: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.replace("{ref}", memo.get("ref", "")).replace("{text}", memo.get("text", ""))
    if isinstance(value, dict):
        return {k: _fill(v, memo) for k, v in value.items()}
    return value


def run_dialog(dialog: dict[str, Any], rpc: Any, deps: Deps, db: psycopg.Connection | None,
               gemini: stub.GeminiStandIn | None = None) -> list[TurnOutcome]:
    """Play ``dialog``; with ``db`` every reply is checked against the database (benchmarks pass
    ``None`` so that only the pipeline's own queries reach the server)."""
    wa_id = "62812" + str(uuid.uuid4().int)[:8]
    messenger = Collect()
    pipeline = Pipeline(SqlStore(rpc), deps, messenger)
    memo: dict[str, Any] = {"self": "0" + wa_id[2:]}
    outcomes = []
    for turn in dialog["turns"]:
        text = _fill(turn["user"], memo)
        memo["text"] = text
        if gemini is not None:
            gemini.queue.clear()
            script = _fill(turn.get("model"), memo)
            if script:
                gemini.push(stub.call(script["call"], script.get("args", {})) if "call" in script else stub.text(script["text"]))
        before = len(messenger.sent)
        started = time.perf_counter()
        replies = pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, name="Uji", text=text))
        elapsed = (time.perf_counter() - started) * 1000
        facts = replies[-1].facts if replies else {}
        said = "\n".join(i.text or "" for i in messenger.sent[before:])
        outcome = TurnOutcome(text, said, facts, ms=elapsed)
        if db is not None:
            outcome.problems = check(turn, outcome, db, memo)
        if facts.get("order"):
            memo["ref"] = facts["order"]["ref"]
            memo.setdefault("refs", []).append(facts["order"]["ref"])
        if facts.get("action") == "list":
            memo["list"] = facts["products"]
        outcomes.append(outcome)
    return outcomes


def product_rows(db: psycopg.Connection, codes: list[str]) -> dict[str, dict[str, Any]]:
    with db.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return {r["code"]: r for r in cur.execute("select * from products where code = any(%s)", [codes])}


def check(turn: dict[str, Any], outcome: TurnOutcome, db: psycopg.Connection, memo: dict[str, Any]) -> list[str]:
    """The facts of a reply against the dialog's expectations and the database."""
    want, facts, problems = turn["expect"], outcome.facts, []
    action = facts.get("action")
    allowed = want["action"] if isinstance(want["action"], list) else [want["action"]]
    if action not in allowed:
        problems.append(f"action {action!r}, expected {allowed}")
    products = facts.get("products") or []
    rows = product_rows(db, products + [str(want.get("first", ""))] + list(want.get("products", [])))
    if "products" in want and products != want["products"]:
        problems.append(f"products {products}, expected {want['products']}")
    if "first" in want and (not products or products[0] != want["first"]):
        problems.append(f"first {products[:1]}, expected {want['first']}")
    for name, value in (want.get("filter") or {}).items():
        for code in products:
            row = rows[code]
            ok = {"max_price": lambda: row["price"] <= value, "min_quota": lambda: row["quota_gb"] >= value}.get(
                name, lambda: row[name] == value)()
            if not ok:
                problems.append(f"{code} breaks {name}={value}")
    if want.get("sorted") == "price_asc":
        prices = [rows[c]["price"] for c in products]
        if prices != sorted(prices):
            problems.append(f"not cheapest first: {prices}")
    if "pick" in want:
        shown = memo.get("list", [])
        expected = shown[want["pick"] - 1] if len(shown) >= want["pick"] else None
        if products != [expected]:
            problems.append(f"picked {products}, expected item {want['pick']} = {expected}")
    if "quote" in want:
        q, order = want["quote"], facts.get("order") or {}
        shown = memo.get("list", [])
        code = q.get("code") or (shown[q["pick"] - 1] if "pick" in q and len(shown) >= q["pick"] else None)
        target = memo["self"] if q.get("target") == "self" else q.get("target")
        if products != [code]:
            problems.append(f"quoted {products}, expected {code}")
        if order.get("target") != target:
            problems.append(f"target {order.get('target')}, expected {target}")
        price = product_rows(db, [code]).get(code, {}).get("price")
        if order.get("price") != price:
            problems.append(f"quoted price {order.get('price')}, products says {price}")
        elif price is not None and rupiah(price) not in outcome.text:
            problems.append(f"{rupiah(price)} not in the reply")
        if "previous_status" in want and len(memo.get("refs", [])) >= 1:
            status = db.execute("select status from orders where ref = %s", [memo["refs"][-1]]).fetchone()[0]
            if status != want["previous_status"]:
                problems.append(f"replaced quote is {status}")
    if "order_status" in want:
        ref = (facts.get("order") or {}).get("ref") or memo.get("ref")
        row = db.execute("select status from orders where ref = %s", [ref]).fetchone()
        if not row or row[0] != want["order_status"]:
            problems.append(f"order {ref} is {row and row[0]}, expected {want['order_status']}")
    for needle in want.get("contains", []):
        if _fill(needle, memo) not in outcome.text:
            problems.append(f"{needle!r} not in the reply")
    if facts.get("path") == "prerouted" and facts.get("model_calls"):
        problems.append("a pre-routed turn called the model")
    return problems


def accuracy() -> tuple[float, float, int]:
    """Intent accuracy and slot accuracy (per labelled slot) of the rule-based understanding."""
    intents = slots = slot_total = turns = 0
    for dialog in DIALOGS:
        memo = {"ref": "BJ7KQ2M9XH"}
        for turn in dialog["turns"]:
            u = understand(_fill(turn["user"], memo))
            labels = _fill(turn["slots"], memo)
            turns += 1
            intents += u.intent == turn["intent"]
            for name, value in labels.items():
                slot_total += 1
                slots += u.slots.get(name) == value
            slot_total += sum(1 for name in u.slots if name not in labels)  # extra slots count as misses
    return intents / turns, slots / max(slot_total, 1), turns


def main() -> None:
    from shared.adapters.postgres import PostgresRpc
    from shared.adapters.redis_kv import RedisKV
    from tests.bench.common import bench_database
    from tests.conftest import DEFAULT_REDIS

    intent_acc, slot_acc, turns = accuracy()
    print(f"{len(DIALOGS)} dialogs, {turns} turns")
    print(f"rule-based understanding: intent accuracy {intent_acc:.1%}, slot accuracy {slot_acc:.1%}")
    with bench_database() as url:
        from shared.adapters.sandbox import Sandbox
        from shared.services.catalog import sync_catalog

        rpc = PostgresRpc(url)
        sandbox = Sandbox(tick_seconds=3600).start()
        sync_catalog(AtlanticClient(sandbox.url, "sandbox"), SqlCatalog(rpc))
        kv = RedisKV.from_url(DEFAULT_REDIS, timeout=2, prefix=f"report:{uuid.uuid4().hex[:6]}:")
        with psycopg.connect(url, autocommit=True) as db, stub.GeminiStandIn() as gemini:
            for path, deps in (("rules", rules_deps(rpc, sandbox.url)),
                               ("model", model_deps(rpc, kv, gemini.url, sandbox.url))):
                outcomes = [o for d in DIALOGS for o in run_dialog(d, rpc, deps, db, gemini if path == "model" else None)]
                failed = sum(bool(o.problems) for o in outcomes)
                calls = [o.facts.get("model_calls", 0) for o in outcomes]
                sizes = [o.facts["prompt_chars"] for o in outcomes if o.facts.get("prompt_chars")]
                line = f"{path:5} path: {len(outcomes) - failed}/{len(outcomes)} turns as expected"
                if path == "model":
                    line += (f"; model calls per turn {statistics.mean(calls):.2f}; prompt chars per model call "
                             f"mean {statistics.mean(sizes):.0f}, max {max(sizes)}")
                print(line)
                for o in outcomes:
                    if o.problems:
                        print(f"   {o.user!r}: {'; '.join(o.problems)}")
        rpc.close()
        sandbox.stop()


if __name__ == "__main__":
    main()
