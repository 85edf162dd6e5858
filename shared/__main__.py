"""The product's CLI: ``python -m shared <command>``.

Commands print their result on stdout (with ``--json``: only JSON) and log to stderr. Exit codes:
0 done, 1 failed, 2 bad configuration or usage.

  demo           chat with the bot in the terminal (embedded defaults when nothing is configured)
  nlu            what the rule engine reads in a message: {"intent", "slots"}
  migrate        apply supabase/migrations over DATABASE_URL (or the embedded Postgres)
  sandbox        run the Atlantic sandbox alone on a port
  sync-catalog   load Atlantic's price lists into the catalog, priced by pricing_rules
  search         search the catalog the way a customer asks ("paket tsel di bawah 20rb")
  reconcile      one reconciler pass over unfinished payments, orders and messages
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any, Callable

from shared.errors import BotError, ConfigError

log = logging.getLogger("shared.cli")


def _migrate(args: argparse.Namespace) -> int:
    from shared.adapters.migrations import migrate
    from shared.bootstrap import bootstrap, migration_url

    app = bootstrap()
    backend = app.settings.migration_backend()
    log.info("migrating %s (%s)", backend.kind, backend.reason)
    applied = migrate(migration_url(app.settings))
    names = [f"{m.version}_{m.name}" for m in applied]
    if args.json:
        print(json.dumps({"applied": names}))
    elif names:
        for name in names:
            print(f"applied {name}")
        print(f"{len(names)} migration(s) applied")
    else:
        print("nothing to apply: the database is up to date")
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    import threading

    from shared.bootstrap import bootstrap, start_sandbox

    app = bootstrap()
    sandbox = start_sandbox(app.settings, host=args.host, port=args.port)
    engine = sandbox.engine.settings
    info = {"url": sandbox.url, "api_key": engine.api_key, "username": engine.username,
            "callback_url": engine.callback_url}
    print(json.dumps(info) if args.json else
          f"Atlantic sandbox on {sandbox.url} (api_key={engine.api_key}, username={engine.username}); Ctrl-C stops it",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
    return 0


def _sync_catalog(args: argparse.Namespace) -> int:
    from shared.bootstrap import bootstrap
    from shared.services.catalog import sync_catalog

    app = bootstrap()
    try:
        result = sync_catalog(app.supplier, app.catalog, force=args.force)
    finally:
        app.close()
    summary = {"received": result.received, "new": result.new, "changed": result.changed,
               "unavailable": result.unavailable, "types": list(result.types)}
    print(json.dumps(summary) if args.json else
          f"synced {'+'.join(result.types)}: {result.received} products, {result.new} new, "
          f"{result.changed} changed, {result.unavailable} now unavailable")
    return 0


def _search(args: argparse.Namespace) -> int:
    from shared.bootstrap import bootstrap
    from shared.services.catalog import search, sync_catalog

    app = bootstrap()
    try:
        if app.catalog.stats().available == 0:
            log.info("the catalog is empty: syncing it first")
            sync_catalog(app.supplier, app.catalog)
        query, hits = search(app.catalog, args.query, limit=args.limit)
    finally:
        app.close()
    log.info("read %r as %s", args.query, query)
    if args.json:
        print(json.dumps([h.as_json() for h in hits], ensure_ascii=False))
    elif not hits:
        print("no products match")
    else:
        for h in hits:
            print(f"{h.code:10} {h.name:45} Rp{h.price:>10,}".replace(",", "."))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from shared.adapters.terminal import DEMO_WA_ID, TerminalMessenger, chat, fresh_wa_id
    from shared.bootstrap import bootstrap
    from shared.services.catalog import sync_catalog
    from shared.services.demo import Demo

    interactive = sys.stdin.isatty()
    # a script plays a new customer on every run (its transcript depends on nothing before it);
    # the terminal chat is the same customer each time, as a phone would be
    wa_id = os.environ.get("DEMO_WA_ID") or (DEMO_WA_ID if interactive else fresh_wa_id())
    app = bootstrap(demo_settings(), messenger=TerminalMessenger(sys.stdout, only=wa_id))
    if not args.verbose and not os.environ.get("LOG_LEVEL"):
        logging.getLogger().setLevel(logging.ERROR)  # the chat is the output; logs with --verbose or LOG_LEVEL
    try:
        if app.catalog.stats().available == 0:
            print("Menyiapkan katalog dari sandbox Atlantic...", file=sys.stderr)
            sync_catalog(app.supplier, app.catalog)
        pipeline = app.pipeline
        demo = Demo(app)
        demo.forget_stale()
        demo.receive_callbacks()
        model = app.settings.model_backend()
        banner = (f"Bot Jual WA demo: {'Gemini' if model.kind == 'gemini' else 'mesin aturan (tanpa model)'}, "
                  f"data {app.settings.db_backend().kind}, Atlantic {app.settings.supplier_backend().kind}. "
                  "Perintah demo: /bayar (bayar QRIS terakhir di sandbox).")
        print(banner + (" Ketik pesan; Ctrl-D untuk keluar." if interactive else ""),
              file=sys.stdout if interactive else sys.stderr)
        if interactive:
            demo.start_background()
        chat(pipeline, sys.stdin, sys.stdout, interactive=interactive, command=demo.command,
             after=demo.remember if interactive else demo.settle, wa_id=wa_id)
    finally:
        app.close()
    return 0


def demo_settings() -> Any:
    """The demo reconciles every second, so payments and deliveries show up while you watch."""
    from shared.config import Settings

    return Settings(check_after_seconds=1, resubmit_after_seconds=5, pending_notice_seconds=30)


def _reconcile(args: argparse.Namespace) -> int:
    from shared.bootstrap import bootstrap

    app = bootstrap()
    try:
        report = app.reconcile()
    finally:
        app.close()
    print(json.dumps(report) if args.json else
          ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in report.items() if v) or "nothing to do")
    return 0


def _nlu(args: argparse.Namespace) -> int:
    from shared.domain.nlu import understand

    result = understand(args.text).as_json()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"intent: {result['intent']}")
        for name, value in result["slots"].items():
            print(f"  {name}: {value}")
    return 0


def _args_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--verbose", action="store_true", help="show INFO logs on stderr")


def _args_nlu(p: argparse.ArgumentParser) -> None:
    _args_json(p)
    p.add_argument("text", help='a customer message, e.g. "pulsa tsel 25rb ke 081234567890"')


def _args_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print only JSON on stdout")


def _args_sandbox(p: argparse.ArgumentParser) -> None:
    _args_json(p)
    p.add_argument("--port", type=int, default=8099, help="port to listen on (default 8099)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def _args_sync(p: argparse.ArgumentParser) -> None:
    _args_json(p)
    p.add_argument("--force", action="store_true", help="sync even a price list much shorter than the catalog")


def _args_search(p: argparse.ArgumentParser) -> None:
    _args_json(p)
    p.add_argument("query", help='what a customer would type, e.g. "pulsa xl 50rb"')
    p.add_argument("--limit", type=int, default=10, choices=range(1, 51), metavar="N", help="at most N (default 10)")


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "demo": ("chat with the bot in the terminal; reads a script from stdin when it is not a terminal",
             _args_demo, _demo),
    "nlu": ("print what the rule engine reads in a message (no database, no network)", _args_nlu, _nlu),
    "migrate": ("apply supabase/migrations (never seed.sql); safe to run twice or at once", _args_json, _migrate),
    "sandbox": ("run the Atlantic sandbox alone (same HTTP protocol as atlantich2h.com)", _args_sandbox, _sandbox),
    "sync-catalog": ("load the price lists into the catalog and price them", _args_sync, _sync_catalog),
    "search": ("search the catalog like a customer asks", _args_search, _search),
    "reconcile": ("one reconciler pass: payments, transactions, resubmissions, expiries, outbox, alerts",
                  _args_json, _reconcile),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared", description="Bot Jual WA command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command][2](args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BotError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
