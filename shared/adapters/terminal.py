"""A terminal chat with the bot: the first Messenger adapter, and the body of ``make demo``.

Interactive (a TTY): a ``kamu>`` prompt, the bot's answers as ``bot>`` lines. Scripted (stdin is a
file or pipe): one customer message per line, each echoed, each answered in full before the next
line is read (no coalescing of scripted lines), until end of input.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from typing import IO, Any, Callable

from shared.domain.turns import InboundMessage, OutboxItem

DEMO_WA_ID = "6281200000001"


def fresh_wa_id() -> str:
    """A new demo customer's WhatsApp number (628 + 10 digits, never a real subscriber's prefix block)."""
    return "628120" + f"{uuid.uuid4().int % 10**7:07d}"


class TerminalMessenger:
    """Prints outbox rows; buttons are shown the way the WhatsApp Web bridge shows them.

    With ``only`` it is that customer's phone: notices for the demo's earlier customers (a payment
    of theirs closing) are taken as delivered without being printed into this chat."""

    def __init__(self, out: IO[str], *, only: str | None = None) -> None:
        self.out = out
        self.only = only
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, item: OutboxItem) -> str:
        with self._lock:
            if self.only and item.wa_id != self.only:
                return f"terminal.other.{next(self._ids)}"
            return self._print(item)

    def typing(self, wamid: str) -> None:
        pass  # the terminal answers at once

    def _print(self, item: OutboxItem) -> str:
        if item.kind == "image" and item.payload.get("qr_string"):
            from shared.adapters.qr import terminal

            print("bot> [gambar QRIS]", file=self.out)
            for line in terminal(item.payload["qr_string"]).splitlines():
                print("     " + line, file=self.out)
        lines = (item.text or "").splitlines() or [""]
        print("bot> " + lines[0], file=self.out)
        for line in lines[1:]:
            print("     " + line, file=self.out)
        buttons = item.payload.get("buttons") or []
        if buttons:
            print("     " + "  ".join(f"[{b['title']}]" for b in buttons), file=self.out)
        self.out.flush()
        return f"terminal.{next(self._ids)}.{item.id}"


def chat(pipeline: Any, stdin: IO[str], out: IO[str], *, interactive: bool, wa_id: str = DEMO_WA_ID,
         name: str = "Demo", command: Callable[[str], str] | None = None,
         after: Callable[[list[Any]], None] | None = None) -> int:
    """Feed lines from ``stdin`` to ``pipeline`` as one customer's messages; returns how many.

    Lines starting with ``/`` go to ``command`` (demo actions such as ``/bayar``); ``after`` runs
    after each message with its replies (the scripted demo waits there for payments and
    deliveries to finish).
    """
    count = 0
    while True:
        if interactive:
            try:
                line = input("kamu> ")
            except EOFError:
                print(file=out)
                break
        else:
            raw = stdin.readline()
            if not raw:
                break
            line = raw.rstrip("\n")
        line = line.strip()
        if not line:
            continue
        if not interactive:
            print(f"kamu> {line}", file=out)
            out.flush()
        if line.startswith("/") and command is not None:
            print(f"demo> {command(line)}", file=out)
            replies: list[Any] = []
        else:
            replies = pipeline.handle(InboundMessage(wamid=f"terminal.{uuid.uuid4().hex}", wa_id=wa_id, name=name,
                                                     text=line))
            count += 1
        if after is not None:
            after(replies)
    return count
