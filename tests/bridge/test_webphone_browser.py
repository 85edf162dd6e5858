"""``make dev``'s stack in a real browser: headless Chromium (Debian's package, driven by Playwright,
which downloads nothing) buys a product end to end on the web phone page. Every step takes the real
path: page → bridge → signed webhook → whatsapp_webhook → pywa → the bridge's Graph API → page, and
the sandbox's callbacks → atlantic_webhook → the receipt.

Required in CI (``CI=true``); on a laptop without Chromium it skips, saying why."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from bridge.devstack import Stack, free_port
from shared.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / ".data" / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _browser_or_skip() -> None:
    missing = [why for ok, why in ((Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
                                   (_has_playwright(), "Python Playwright is not installed")) if not ok]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail("the browser test is required in CI: " + "; ".join(missing))
        pytest.skip("; ".join(missing))


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def stack(fresh_database: Any, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    _browser_or_skip()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "WHATSAPP_", "ATLANTIC_", "GEMINI_"))}
    env |= {"DATABASE_URL": fresh_database(), "BRIDGE_DATABASE_URL": fresh_database(), "REDIS_URL": redis_url,
            "BRIDGE_PORT": str(port),
            "DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    running = Stack(env, quiet=True)
    try:
        yield running.start()
    finally:
        running.stop()


def test_a_customer_buys_pulsa_on_the_web_phone(stack: Stack) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "webphone-purchase.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 420, "height": 860})
        try:
            page.goto(stack.url)
            page.fill("#number", f"62812{random.randrange(10**8):08d}")
            page.fill("#name", "Sari")
            page.press("#name", "Tab")
            page.fill("#composer", "pulsa tsel 10rb ke 081234567890")
            page.press("#composer", "Enter")
            quote = page.locator(".msg.out[data-type=interactive]").filter(has_text="Bayar QRIS")
            expect(quote).to_have_count(1, timeout=30_000)
            expect(quote.locator(".text")).to_contain_text("1.")  # numbered by the bridge
            page.fill("#composer", "1")
            page.click("#send")
            pay = page.locator(".msg.out[data-type=image] .pay-button")
            expect(pay).to_be_visible(timeout=30_000)
            expect(page.locator(".msg.out[data-type=image] img")).to_be_visible()
            pay.click()
            expect(page.locator(".pay-button[data-paid]")).to_have_count(1, timeout=15_000)
            done = page.locator(".msg.out .text").filter(has_text="Berhasil")
            expect(done).to_have_count(1, timeout=60_000)
            expect(done).to_contain_text("SN")
            expect(page.locator(".msg.out").last).to_have_attribute("data-status", "read", timeout=10_000)
        finally:
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
    if os.environ.get("CI_ARTIFACTS"):
        shutil.copy(shot, os.environ["CI_ARTIFACTS"])
