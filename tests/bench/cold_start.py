"""A fresh instance's first turn (``python -m tests.bench cold_start``).

Side by side (alternating), in fresh processes, medians of 9: the time to ``import functions_framework`` (what any
function pays before serving), and the time from nothing to a first rule-engine turn answered
through the composition root (``bootstrap.app()`` from the environment) on the production
transports — the PostgREST stand-in for Supabase, the Upstash stand-in for Redis, Atlantic (the
sandbox over HTTP) — imports included. The goal is a first turn within 3x the bare import.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

from shared.adapters.sandbox import Sandbox
from shared.config import PROJECT_ROOT
from tests.bench.common import bench_database
from tests.conftest import DEFAULT_REDIS

RUNS = 9

BARE = "import time; t = time.perf_counter(); import functions_framework; print((time.perf_counter() - t) * 1000)"

FIRST_TURN = """
import time
t = time.perf_counter()
import functions_framework  # every function imports it first
from shared import bootstrap
from shared.domain.turns import InboundMessage

class Quiet:
    def send(self, item):
        return "wamid.cold"

    def typing(self, wamid):
        pass

app = bootstrap.app()
app.messenger = Quiet()  # a function hands its messenger to the app once
replies = app.pipeline.handle(InboundMessage(wamid="wamid.cold.%s", wa_id="6281300000001", text="halo kak"))
assert replies and replies[-1].messages, replies
print((time.perf_counter() - t) * 1000)
"""


WEBHOOK_IMPORT = """
import time, importlib.util
t = time.perf_counter()
import functions_framework
spec = importlib.util.spec_from_file_location("main", "functions/whatsapp_webhook/main.py")
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print((time.perf_counter() - t) * 1000)
"""

# a fresh instance's first webhook: the function loaded by functions-framework, one signed text
# message, its turn, and the reply sent through pywa (to the Graph API stand-in)
WEBHOOK_FIRST = """
import json, time
t = time.perf_counter()
from functions_framework import create_app
client = create_app("whatsapp_webhook", "functions/whatsapp_webhook/main.py").test_client()
from tests.functions.whatsapp import customer_says, sign, text
wa = "62813%08d"
raw = json.dumps(customer_says(wa, text(wa, "halo kak"))).encode()
r = client.post("/", data=raw, headers={"X-Hub-Signature-256": sign(raw)}, content_type="application/json")
assert r.status_code == 200 and r.get_json()["turns"] == 1, r.get_data()
print((time.perf_counter() - t) * 1000)
"""


def run(code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from tests.fakes.postgrest import PostgrestStandIn
    from tests.fakes.upstash import UpstashStandIn

    with bench_database() as url, PostgrestStandIn(url) as api, UpstashStandIn(DEFAULT_REDIS) as upstash, \
            Sandbox(tick_seconds=3600) as sandbox:
        base = {k: v for k, v in os.environ.items() if not k.startswith(
            ("DATABASE_", "SUPABASE_", "UPSTASH_", "REDIS_", "GEMINI_", "ATLANTIC_", "WHATSAPP_"))}
        env: dict[str, Any] = {
            **base, "PYTHONPATH": str(PROJECT_ROOT), "LOG_LEVEL": "WARNING",
            "SUPABASE_URL": api.url, "SUPABASE_SERVICE_ROLE_KEY": api.service_key,
            "UPSTASH_REDIS_REST_URL": upstash.url, "UPSTASH_REDIS_REST_TOKEN": upstash.token,
            "ATLANTIC_API_KEY": "sandbox", "ATLANTIC_USERNAME": "sandbox", "ATLANTIC_BASE_URL": sandbox.url,
        }
        bare, first = [], []
        for n in range(RUNS):  # alternated, so both see the same machine
            bare.append(run(BARE, env))
            first.append(run(FIRST_TURN % n, env))
        b, f = statistics.median(bare), statistics.median(first)
        print(f"cold start, median of {RUNS} fresh processes: import functions_framework {b:.0f} ms; "
              f"first rule-engine turn through bootstrap.app() on PostgREST + Upstash + Atlantic {f:.0f} ms "
              f"= {f / b:.1f}x")
        from tests.fakes.graph import GraphStandIn
        from tests.functions.whatsapp import PHONE_ID, SECRET, TOKEN

        with GraphStandIn(token=TOKEN, phone_id=PHONE_ID) as graph:
            wa_env = {**env, "WHATSAPP_TOKEN": TOKEN, "WHATSAPP_PHONE_ID": PHONE_ID, "WHATSAPP_APP_SECRET": SECRET,
                      "WHATSAPP_API_BASE_URL": graph.url}
            bare2, imported, webhook = [], [], []
            for n in range(RUNS):
                bare2.append(run(BARE, wa_env))
                imported.append(run(WEBHOOK_IMPORT, wa_env))
                webhook.append(run(WEBHOOK_FIRST % (n + 7000), wa_env))
        b2, i, w = statistics.median(bare2), statistics.median(imported), statistics.median(webhook)
        print(f"whatsapp_webhook, median of {RUNS}: import {i:.0f} ms = {i / b2:.2f}x bare functions_framework "
              f"({b2:.0f} ms); first signed message answered through pywa (turn + reply) {w:.0f} ms = {w / b2:.1f}x")
