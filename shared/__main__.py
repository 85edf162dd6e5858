"""The product's CLI: ``python -m shared <command>``.

Commands print their result on stdout (only JSON with ``--json``) and log to stderr. Exit codes:
0 done, 1 failed, 2 bad configuration or usage.

  migrate     apply supabase/migrations over DATABASE_URL (or the embedded Postgres)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Callable

from shared.errors import BotError, ConfigError


def _migrate(args: argparse.Namespace) -> int:
    from shared.adapters.migrations import migrate
    from shared.bootstrap import bootstrap, migration_url

    app = bootstrap()
    backend = app.settings.migration_backend()
    logging.getLogger("shared.migrate").info("migrating %s (%s)", backend.kind, backend.reason)
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


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "migrate": ("apply supabase/migrations (never seed.sql); safe to run twice or at once", _migrate),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared", description="Bot Jual WA command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (help_text, _) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BotError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
