"""``python -m bridge`` runs the bridge in the foreground (``make bridge``); ``python -m bridge dev``
runs the whole local stack behind the web phone (``make dev``); ``parked`` / ``replay`` list and
replay the events the webhook refused."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading


def _settings():  # noqa: ANN202
    from bridge.settings import BridgeSettings
    from shared.errors import ConfigError

    try:
        return BridgeSettings()
    except ConfigError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def run() -> int:
    settings = _settings()
    from shared import logs

    import logging

    logs.configure(settings.log_level, settings.log_format,
                   secrets=[settings.whatsapp_token.get_secret_value(), settings.whatsapp_app_secret.get_secret_value()])
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per webhook POST is noise
    bridge = _open(settings).start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"bridge ready on {bridge.url} ({bridge.session.name} session)", flush=True)
    done.wait()
    bridge.stop()
    return 0


def _open(settings):  # noqa: ANN001, ANN202
    """The bridge, once its store answers: Postgres may come up after us (a VM's boot, a restart)."""
    import logging
    import time

    from bridge.app import Bridge
    from shared.errors import ConfigError, StoreUnavailable

    log = logging.getLogger("bridge")
    delay, deadline = 1.0, time.monotonic() + 120
    while True:
        try:
            return Bridge(settings)
        except ConfigError as exc:
            print(f"bridge: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        except (StoreUnavailable, RuntimeError) as exc:  # RuntimeError: no pgserver for the embedded fallback
            if isinstance(exc, RuntimeError) or time.monotonic() > deadline:
                print(f"bridge: cannot open its database: {exc}", file=sys.stderr)
                raise SystemExit(1) from None
            log.warning("the bridge's database is not reachable yet (%s); retrying in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(10.0, delay * 2)


def admin(command: str, seqs: list[int]) -> int:
    from bridge.store import Store, database_url

    store = Store(database_url(_settings())).open()
    try:
        if command == "parked":
            print(json.dumps(store.parked(1000), indent=2))
        else:
            print(json.dumps({"replayed": store.replay(seqs or None)}))
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bridge (the default)")
    sub.add_parser("dev", help="the whole local stack behind the web phone, on embedded defaults")
    sub.add_parser("parked", help="list the events the webhook refused (400/413)")
    replay = sub.add_parser("replay", help="deliver parked events again (all, or the given seqs)")
    replay.add_argument("seqs", nargs="*", type=int)
    args = parser.parse_args(argv)
    if args.command == "dev":
        from bridge.devstack import main as dev

        return dev()
    if args.command in ("parked", "replay"):
        return admin(args.command, getattr(args, "seqs", []))
    return run()


if __name__ == "__main__":
    sys.exit(main())
