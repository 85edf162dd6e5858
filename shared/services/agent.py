"""The model's part of a turn: one Gemini call with tools, whose results templates render.

The model reads a short Indonesian system prompt, a compact context (the list on screen, the
product or quote waiting, the customer's number) and the last few messages — never the catalog.
It answers with text or asks for a tool; tools run our own code (catalog search, quote from
``products``, order status, saldo) and their results are said by the templates of
:mod:`shared.domain.replies`, so a turn costs one model call. Text the model writes itself is
checked before it is sent: a rupiah amount we did not show, or a claim that something was
confirmed, paid or delivered, sends the turn to the rule engine instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from shared.domain import targets
from shared.domain.llm import ModelRequest, ToolCall, ToolSpec, ModelMessage
from shared.domain.money import rupiah
from shared.domain.nlu import Understanding
from shared.domain.search import parse_query
from shared.errors import AllModelsDown
from shared.services.failover import ModelChain

log = logging.getLogger(__name__)

SYSTEM = """Kamu asisten toko {shop} di WhatsApp: jual pulsa, paket data, token PLN, e-wallet, voucher dan top up game.
Gaya: ramah, santai, singkat (maks 3 kalimat), panggil pelanggan "kak".
Aturan:
- Jangan pernah mengarang produk, harga, kode pesanan, atau status. Harga dan produk hanya dari tool.
- Pelanggan cari atau tanya produk/harga: panggil search_products dengan kata-kata pelanggan.
- Produk dan tujuan sudah jelas (kode dari daftar + nomor/ID): panggil get_quote.
- Tanya pesanan: check_order_status. Tanya saldo: get_balance.
- Konfirmasi dan pembayaran bukan tugasmu; pelanggan sendiri yang membalas YA.
- Selain itu jawab singkat lalu arahkan ke pembelian."""

TOOLS = (
    ToolSpec("search_products", "Cari produk di katalog toko. Kirim kata-kata pelanggan apa adanya.", {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "kata-kata pelanggan, mis. 'paket tsel di bawah 20rb'"},
            "max_price": {"type": "integer", "description": "budget maksimal dalam rupiah, kalau disebut"},
        },
        "required": ["query"],
    }),
    ToolSpec("get_quote", "Buat penawaran harga untuk satu produk ke satu tujuan.", {
        "type": "object",
        "properties": {
            "product_code": {"type": "string", "description": "kode produk dari daftar"},
            "target": {"type": "string", "description": "nomor HP, nomor meter, atau ID game tujuan"},
        },
        "required": ["product_code", "target"],
    }),
    ToolSpec("check_order_status", "Cek status pesanan pelanggan.", {
        "type": "object",
        "properties": {"ref": {"type": "string", "description": "kode pesanan (BJ...), kalau disebut"}},
    }),
    ToolSpec("get_balance", "Cek saldo pelanggan.", {"type": "object", "properties": {}}),
)

_CLAIMS = re.compile(r"\b(dikonfirmasi|terkonfirmasi|berhasil|sukses|lunas|sudah dibayar|terbayar|sudah masuk|"
                     r"terkirim|sudah diproses|token(?:nya)? (?:adalah|:))\b", re.I)
_AMOUNT = re.compile(r"rp\s?([\d.]+)", re.I)


class Agent:
    def __init__(self, chain: ModelChain, *, shop_name: str, history: int = 8) -> None:
        self.chain = chain
        self.system = SYSTEM.format(shop=shop_name)
        self.history = history

    # -- the prompt ----------------------------------------------------------------------------

    def context(self, turn: Any) -> str:
        state = turn.state
        lines = []
        phone = targets.self_phone(turn.customer.wa_id)
        if phone:
            lines.append(f"Nomor WA pelanggan: {phone}")
        if state.items:
            lines.append("Daftar di layar: " + "; ".join(
                f"{i}) {it['code']} {it['name']} {rupiah(it['price'])}" for i, it in enumerate(state.items, 1)))
        if state.pick:
            lines.append(f"Produk dipilih, menunggu tujuan: {state.pick['code']} {state.pick['name']}")
        if state.quote:
            lines.append(f"Penawaran menunggu YA: {state.quote['ref']} {state.quote['name']} ke {state.quote['target']}")
        if state.targets:
            lines.append("Tujuan sebelumnya: " + ", ".join(state.targets.values()))
        return "\n".join(lines)

    def request(self, turn: Any) -> ModelRequest:
        history = [m for m in turn.input.history if m.text][-self.history:]
        turns = [ModelMessage(role="user" if m.direction == "in" else "model", text=m.text[:400]) for m in history]
        context = self.context(turn)
        current = turn.input.text[:1000]
        turns.append(ModelMessage(role="user", text=f"[konteks]\n{context}\n[pesan]\n{current}" if context else current))
        return ModelRequest(system=self.system, messages=tuple(turns), tools=TOOLS)

    # -- the turn ------------------------------------------------------------------------------

    def run(self, turn: Any, u: Understanding) -> bool:
        """Answer ``turn`` with the model; ``False`` hands it to the rule engine."""
        request = self.request(turn)
        try:
            reply, link = self.chain.call(request, budget=turn.budget)
        except AllModelsDown as exc:
            log.warning("no model available, the rule engine answers: %s", exc)
            turn.facts["models_down"] = True
            return False
        turn.facts["model_calls"] += 1
        turn.facts["prompt_chars"] += request.size()
        turn.facts["model"] = f"{link.project}/{link.model}"
        turn.tokens += reply.tokens
        if reply.calls:
            return self.tool(turn, reply.calls[0], u)
        text = (reply.text or "").strip()
        if not text or not self.safe(turn, text):
            turn.facts["guarded"] = bool(text)
            return False
        turn.act("model_text")
        turn.say(text)
        return True

    def safe(self, turn: Any, text: str) -> bool:
        """The model may chat; it may not state prices we did not show or outcomes that did not happen."""
        if _CLAIMS.search(text):
            return False
        known = {it["price"] for it in turn.state.items} | {turn.customer.saldo}
        for entry in (turn.state.pick, turn.state.quote):
            if entry:
                known.add(entry["price"])
        for amount in _AMOUNT.findall(text):
            digits = amount.replace(".", "").rstrip(",")
            if digits.isdigit() and int(digits) not in known:
                return False
        return True

    def tool(self, turn: Any, call: ToolCall, u: Understanding) -> bool:
        args = call.args or {}
        turn.facts["tool"] = call.name
        if call.name == "search_products":
            query = parse_query(str(args.get("query") or turn.input.text))
            budget = args.get("max_price")
            if isinstance(budget, (int, float)) and budget > 0 and query.max_price is None:
                query = replace(query, max_price=int(budget))
            turn.search(turn.follow_up(query), intent=u.intent if u.intent in ("buy", "price_check") else "search",
                        target=u.slots.get("target"))
            return True
        if call.name == "get_quote":
            item = self._item(turn, str(args.get("product_code") or ""))
            target = targets.find_target(str(args.get("target") or ""), category=item and item["category"],
                                         provider=item and item.get("provider")) if item else None
            if item is None:
                return False  # a code we never showed: let the rules handle the turn
            if target is None:
                turn.pick(item, None)
                return True
            turn.make_quote(item, target)  # price from products: whatever else the model sent is ignored
            return True
        if call.name == "check_order_status":
            ref = args.get("ref") or u.slots.get("ref")
            turn.status(str(ref).upper() if ref else None)
            return True
        if call.name == "get_balance":
            turn.balance()
            return True
        log.warning("the model asked for an unknown tool %r", call.name)
        return False

    @staticmethod
    def _item(turn: Any, code: str) -> dict[str, Any] | None:
        """Only products the customer has been shown (or picked) can be quoted by the model."""
        code = code.strip().upper()
        for item in list(turn.state.items) + [turn.state.pick or {}]:
            if item and item.get("code", "").upper() == code:
                return item
        return None
