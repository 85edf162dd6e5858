"""Per-turn server overhead: the scripted dialogs through the real pipeline, with a zero-latency
model, on the real local Postgres and Redis. Round trips and KV commands are counted on the
servers (``pg_stat_user_functions`` / ``pg_stat_database`` and Redis ``INFO commandstats``)."""

from __future__ import annotations

import statistics
import time
import uuid

import psycopg

from shared.adapters.atlantic import AtlanticClient
from shared.adapters.catalog_store import SqlCatalog
from shared.adapters.orders_store import SqlOrders
from shared.adapters.postgres import PostgresRpc
from shared.adapters.redis_kv import RedisKV
from shared.adapters.sandbox import Sandbox
from shared.services.conversation.agent import Agent
from shared.services.catalog import sync_catalog
from shared.services.conversation.context import Deps, Limits
from shared.services.failover import Link, ModelChain
from tests import dialogs
from tests.bench.common import ROUNDS, bench_database, p95
from tests.fakes.instant_model import InstantModel


def redis_url() -> str:
    import os

    from tests.conftest import DEFAULT_REDIS, FORCE_EMBEDDED, _redis_reachable

    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    if FORCE_EMBEDDED or not _redis_reachable(url):
        from shared.adapters import embedded
        from shared.config import PROJECT_ROOT

        return embedded.redis_url(PROJECT_ROOT / ".data" / "test")
    return url


def command_calls(kv: RedisKV) -> int:
    stats = kv._client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


def main() -> None:
    with bench_database() as url:
        dbname = url.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'alter database "{dbname}" set track_functions = \'all\'')
        rpc = PostgresRpc(url)
        sandbox = Sandbox(tick_seconds=3600).start()  # the supplier of every checkout in the dialogs
        sync_catalog(AtlanticClient(sandbox.url, "sandbox"), SqlCatalog(rpc))
        rpc.close()

        kv = RedisKV.from_url(redis_url(), timeout=2, prefix=f"bench:{uuid.uuid4().hex[:6]}:")
        model = InstantModel()
        p50s, p95s = [], []
        figures: dict[str, float] = {}
        for round_ in range(ROUNDS):
            rpc = PostgresRpc(url, min_size=1, max_size=1)
            chain = ModelChain(model, [Link("bench", "key", "gemini-2.5-flash-lite")], kv)
            deps = Deps(SqlCatalog(rpc), SqlOrders(rpc), dialogs.shop(rpc, sandbox.url), Limits(),
                        agent=Agent(chain, shop_name="Toko Bench"))
            with psycopg.connect(url, autocommit=True) as probe:
                before_fn = dict(probe.execute(
                    "select funcname, calls from pg_stat_user_functions where schemaname = 'public'").fetchall())
                before_commits = probe.execute(
                    "select xact_commit from pg_stat_database where datname = current_database()").fetchone()[0]
            kv_before = command_calls(kv)
            outcomes = []
            for dialog in dialogs.DIALOGS:
                outcomes += dialogs.run_dialog(dialog, rpc, deps, None, model)  # type: ignore[arg-type]
            timings = [o.ms for o in outcomes]
            kv_after = command_calls(kv)
            rpc.close()
            time.sleep(0.8)  # the pool's backends exited and flushed their statistics
            with psycopg.connect(url, autocommit=True) as probe:
                probe.execute("select pg_stat_clear_snapshot()")
                after_fn = dict(probe.execute(
                    "select funcname, calls from pg_stat_user_functions where schemaname = 'public'").fetchall())
                after_commits = probe.execute(
                    "select xact_commit from pg_stat_database where datname = current_database()").fetchone()[0]
            turns = len(outcomes)
            calls = {f: after_fn.get(f, 0) - before_fn.get(f, 0) for f in after_fn}
            calls = {f: n for f, n in calls.items() if n}
            base = calls.get("begin_turn", 0) + calls.get("end_turn", 0)
            tools = sum(n for f, n in calls.items() if f not in ("begin_turn", "end_turn"))
            model_turns = [o for o in outcomes if o.facts.get("model_calls")]
            figures = {
                "turns": turns,
                "rpc_per_turn": sum(calls.values()) / turns,
                "base_per_turn": base / turns,
                "tool_rpc_per_turn": tools / turns,
                "xact_per_turn": (after_commits - before_commits - 2) / turns,  # minus the first probe's 2 queries
                "kv_per_turn": (kv_after - kv_before) / turns,
                "kv_per_model_turn": (kv_after - kv_before) / max(1, len(model_turns)),
                "model_calls_per_turn": sum(o.facts.get("model_calls", 0) for o in outcomes) / turns,
                "prompt_chars": statistics.mean(o.facts["prompt_chars"] for o in model_turns),
                "functions": calls,
            }
            p50s.append(statistics.median(timings))
            p95s.append(p95(timings))
        kv.close()
        sandbox.stop()
    print(f"per-turn server overhead, zero-latency model, {figures['turns']} turns of {len(dialogs.DIALOGS)} dialogs "
          f"x {ROUNDS} rounds: p50 {statistics.median(p50s):.2f} ms, p95 {statistics.median(p95s):.2f} ms "
          f"(rounds' p50 {', '.join(f'{x:.2f}' for x in p50s)}; p95 {', '.join(f'{x:.2f}' for x in p95s)})")
    print(f"  Postgres, counted on the server: {figures['rpc_per_turn']:.2f} SQL function calls per turn = "
          f"{figures['base_per_turn']:.2f} begin/end + {figures['tool_rpc_per_turn']:.2f} state tool calls; "
          f"{figures['xact_per_turn']:.2f} transactions per turn (pg_stat_database)")
    print(f"  by function: {figures['functions']}")
    print(f"  Redis, INFO commandstats: {figures['kv_per_turn']:.2f} commands per turn, "
          f"{figures['kv_per_model_turn']:.2f} per turn that reached the model")
    print(f"  model calls per turn {figures['model_calls_per_turn']:.2f}; prompt {figures['prompt_chars']:.0f} chars "
          f"per model call on average")
