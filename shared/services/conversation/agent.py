"""The model's part of a turn: one Gemini call with tools, whose results templates render.

The model reads a short Indonesian system prompt, a compact context (the request being built, the
list on screen, the quote waiting, the customer's number) and the last few messages — never the
catalog. It answers with text or asks for a tool; tools move the same request frame the rules do
(:mod:`.browse` decides the next question), and their results are said by the templates of
:mod:`shared.domain.replies`, so a turn costs one model call. Text the model writes itself is
checked before it is sent: a rupiah amount we did not show, or a claim that something was
confirmed, paid or delivered, sends the turn to the rule engine instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from shared.domain import targets
from shared.domain.frame import Item, Product
from shared.domain.llm import ModelMessage, ModelRequest, ToolCall, ToolSpec
from shared.domain.money import rupiah
from shared.domain.nlu import Understanding, said_by, understand
from shared.errors import AllModelsDown
from shared.services.conversation import account, browse, pay, rules
from shared.services.conversation.context import TurnContext
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
- Selain itu jawab singkat lalu arahkan ke pembelian.
- Balas dalam bahasa pelanggan: Indonesia, atau Inggris kalau pelanggan menulis dalam bahasa Inggris."""

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
                     r"terkirim|sudah diproses|token(?:nya)? (?:adalah|:)|confirmed|paid|successful|succeeded|delivered|"
                     r"has been sent|been processed|your token is)\b", re.I)
_AMOUNT = re.compile(r"rp\s?([\d.]+)", re.I)


class Agent:
    def __init__(self, chain: ModelChain, *, shop_name: str, history: int = 8) -> None:
        self.chain = chain
        self.system = SYSTEM.format(shop=shop_name)
        self.history = history

    # -- the prompt ----------------------------------------------------------------------------

    def context(self, turn: TurnContext) -> str:
        state = turn.state
        lines = []
        phone = targets.self_phone(turn.customer.wa_id)
        if phone:
            lines.append(f"Nomor WA pelanggan: {phone}")
        if state.lang == "en":
            lines.append("Bahasa pelanggan: Inggris")
        if state.items:
            lines.append("Daftar di layar: " + "; ".join(
                f"{i}) {p.code} {p.name} {rupiah(p.price)}" for i, p in enumerate(state.items, 1)))
        for item in state.frame.items:
            lines.append("Permintaan: " + _describe(item))
        if state.quote:
            lines.append(f"Penawaran menunggu YA: {state.quote.ref} {state.quote.name} ke {state.quote.target}")
        if state.targets:
            lines.append("Tujuan sebelumnya: " + ", ".join(state.targets.values()))
        return "\n".join(lines)

    def request(self, turn: TurnContext) -> ModelRequest:
        history = [m for m in turn.input.history if m.text][-self.history:]
        turns = [ModelMessage(role="user" if m.direction == "in" else "model", text=m.text[:400]) for m in history]
        context = self.context(turn)
        current = turn.input.text[:1000]
        turns.append(ModelMessage(role="user", text=f"[konteks]\n{context}\n[pesan]\n{current}" if context else current))
        return ModelRequest(system=self.system, messages=tuple(turns), tools=TOOLS)

    # -- the turn ------------------------------------------------------------------------------

    def run(self, turn: TurnContext, u: Understanding) -> bool:
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

    def safe(self, turn: TurnContext, text: str) -> bool:
        """The model may chat; it may not state prices we did not show or outcomes that did not happen."""
        if _CLAIMS.search(text):
            return False
        known = {p.price for p in turn.state.items} | {turn.customer.saldo}
        known |= {i.product.price for i in turn.state.frame.items if i.product}
        if turn.state.quote:
            known.add(turn.state.quote.price)
        for amount in _AMOUNT.findall(text):
            digits = amount.replace(".", "").rstrip(",")
            if digits.isdigit() and int(digits) not in known:
                return False
        return True

    def tool(self, turn: TurnContext, call: ToolCall, u: Understanding) -> bool:
        args = call.args or {}
        turn.facts["tool"] = call.name
        if call.name == "search_products":
            words = str(args.get("query") or turn.input.text)
            said = rules.said(turn, u)  # the customer's own words first: several requests, several numbers
            if not isinstance(said, list) and words != turn.input.text:
                said = said_by(understand(words), method=pay.method_in(turn.input.text), text=turn.input.text)
            budget = args.get("max_price")
            if not isinstance(said, list):  # several requests keep what the customer said of each
                if isinstance(budget, (int, float)) and budget > 0 and said.max_price is None:
                    said = replace(said, max_price=int(budget))
                if not said.about_product and not said.target:
                    return False  # nothing the catalog could answer: let the rules handle the turn
            mode = u.intent if u.intent in ("search", "price_check") else "buy"
            browse.update(turn, said, mode=mode)
            return True
        if call.name == "get_quote":
            product = self._product(turn, str(args.get("product_code") or ""))
            if product is None:
                return False  # a code we never showed: let the rules handle the turn
            target = targets.find_target(str(args.get("target") or ""), category=product.category,
                                         provider=product.provider)
            browse.pick(turn, product, target)  # price from products: whatever else the model sent is ignored
            return True
        if call.name == "check_order_status":
            ref = args.get("ref") or u.slots.get("ref")
            if u.slots.get("history") and not ref:
                account.history(turn, ledger=False)
            else:
                account.status(turn, str(ref).upper() if ref else None)
            return True
        if call.name == "get_balance":
            account.balance(turn)
            return True
        log.warning("the model asked for an unknown tool %r", call.name)
        return False

    @staticmethod
    def _product(turn: TurnContext, code: str) -> Product | None:
        """Only products the customer has been shown (or picked) can be quoted by the model."""
        code = code.strip().upper()
        shown = list(turn.state.items) + [i.product for i in turn.state.frame.items if i.product]
        return next((p for p in shown if p.code.upper() == code), None)


def _describe(item: Item) -> str:
    parts = [v for v in (item.category, item.provider) if v]
    for value, unit in ((item.nominal, ""), (item.quota_gb, " GB"), (item.units, " diamond"),
                        (item.validity_days, " hari")):
        if value is not None:
            parts.append(f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}")
    if item.max_price:
        parts.append(f"maks {rupiah(item.max_price)}")
    if item.product:
        parts.append(f"produk {item.product.code} {item.product.name} {rupiah(item.product.price)}")
    if item.target:
        parts.append(f"tujuan {item.target}")
    return " ".join(parts) or "-"
