"""Everything a customer reads, in one place: casual Indonesian (the default) and friendly English,
short lines, WhatsApp formatting.

Keep wording here so it can be reviewed and changed without touching logic. Amounts go through
:func:`shared.domain.money.rupiah` (``Rp10.000``); product names are ``*bold*``. Every
customer-facing function takes a keyword-only ``lang`` (``"id"`` or ``"en"``) and holds both
languages side by side; :func:`words` binds one language for a whole turn::

    w = replies.words(lang)          # lang from shared.domain.language.detect
    w.quote_batch(quotes, ttl, saldo)  # == replies.quote_batch(quotes, ttl, saldo, lang=lang)

By topic: :mod:`.common` (language switch, names, times, targets, SNs), :mod:`.shop` (manners),
:mod:`.browse` (lists, prices), :mod:`.targets` (asking where it goes), :mod:`.quotes`,
:mod:`.payments`, :mod:`.orders` (statuses, receipts, history), :mod:`.account` (saldo),
:mod:`.admin` (the shop's admins, Indonesian only).
"""

from __future__ import annotations

import functools
import inspect
from types import MappingProxyType
from typing import Any, Callable

from shared.domain.replies.account import MOVEMENT_NAMES, MOVEMENT_NAMES_EN, balance, mutations
from shared.domain.replies.admin import admin_conflict, admin_escalation, admin_low_balance, admin_undelivered
from shared.domain.replies.browse import (
    alternatives, choice_out_of_range, nothing_found, pick_from_list_first, price, product_gone, product_list,
    target_noted_pick,
    product_rows, stale_list,
)
from shared.domain.replies.common import (
    CATEGORY_NAMES, CATEGORY_NAMES_EN, DEFAULT_LANG, FALLBACK, LANGS, MONTHS, MONTHS_EN, WALLET_NAMES, ZONE_NAMES, attr,
    category_name, describe, format_sn, local_time, moment_of, pick, provider_name, rupiah, show_target, sn_label,
    target_label, target_line, wallet_name,
)
from shared.domain.replies.orders import (
    FAILURE_REASONS, FAILURE_REASONS_EN, STATUS_NAMES, STATUS_NAMES_EN, already_paid, complaint, failed_refunded,
    failure_reason, no_orders_yet, order_history, order_status, receipt, receipt_again, status_name,
    still_processing,
)
from shared.domain.replies.payments import (
    METHOD_NAMES, checkout, checkout_expired, deposit_amount_needed, deposit_ask_phone, deposit_out_of_range,
    deposit_received, deposit_refused, insufficient_saldo, late_payment, paid_from_saldo, payment_closed,
    payment_received, payment_waiting, purpose_deposit, purpose_order, qris_out_of_range, supplier_busy,
)
from shared.domain.replies.quotes import (
    QUOTE_BUTTONS, QUOTE_BUTTONS_EN, bill_quote, cancelled, cannot_cancel, duplicate_warning, nothing_to_confirm,
    pay_hint, quote, quote_batch, quote_buttons, quote_expired, stale_button,
)
from shared.domain.replies.shop import (
    MEDIA_NAMES, MEDIA_NAMES_EN, about_bot, clarify, greeting, help_menu, media_unsupported, off_topic, salam_back,
    slow_down, technical_problem, thanks,
)
from shared.domain.replies.targets import (
    ask_target, ask_target_for_request, ask_zone, bad_target, bill_ask_number, bill_not_found, operator_mismatch,
    own_number_unreadable, target_noted_ask_product,
)

__all__ = [
    "FALLBACK",
    # common
    "CATEGORY_NAMES", "CATEGORY_NAMES_EN", "DEFAULT_LANG", "LANGS", "MONTHS", "MONTHS_EN", "WALLET_NAMES",
    "ZONE_NAMES", "attr", "category_name", "describe", "format_sn", "local_time", "moment_of", "pick",
    "provider_name", "rupiah", "show_target", "sn_label", "target_label", "target_line", "wallet_name",
    # shop
    "MEDIA_NAMES", "MEDIA_NAMES_EN", "about_bot", "clarify", "greeting", "help_menu", "media_unsupported",
    "off_topic", "salam_back", "slow_down", "technical_problem", "thanks",
    # browse
    "alternatives", "choice_out_of_range", "nothing_found", "pick_from_list_first", "price", "product_gone",
    "target_noted_pick",
    "product_list", "product_rows", "stale_list",
    # targets
    "ask_target", "ask_target_for_request", "ask_zone", "bad_target", "bill_ask_number", "bill_not_found",
    "operator_mismatch", "own_number_unreadable", "target_noted_ask_product",
    # quotes
    "QUOTE_BUTTONS", "QUOTE_BUTTONS_EN", "bill_quote", "cancelled", "cannot_cancel", "duplicate_warning",
    "nothing_to_confirm", "pay_hint", "quote", "quote_batch", "quote_buttons", "quote_expired", "stale_button",
    # payments
    "METHOD_NAMES", "checkout", "checkout_expired", "deposit_amount_needed", "deposit_ask_phone",
    "deposit_out_of_range", "deposit_received", "deposit_refused", "insufficient_saldo", "late_payment",
    "paid_from_saldo", "payment_closed", "payment_received", "payment_waiting", "purpose_deposit", "purpose_order",
    "qris_out_of_range", "supplier_busy",
    # orders and account
    "FAILURE_REASONS", "FAILURE_REASONS_EN", "STATUS_NAMES", "STATUS_NAMES_EN", "already_paid", "complaint",
    "failed_refunded", "failure_reason", "no_orders_yet", "order_history", "order_status", "receipt",
    "receipt_again", "status_name", "still_processing", "MOVEMENT_NAMES", "MOVEMENT_NAMES_EN", "balance",
    "mutations",
    # admins
    "admin_conflict", "admin_escalation", "admin_low_balance", "admin_undelivered",
    # one language for a turn
    "Words", "words",
]


def _takes_lang(value: Any) -> bool:
    """A function with a keyword-only ``lang``: it writes customer text in either language."""
    if not inspect.isfunction(value):
        return False
    parameter = inspect.signature(value).parameters.get("lang")
    return parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY


# every public name of this package that takes ``lang`` (resolved once, at import)
LANG_FUNCTIONS: MappingProxyType[str, Callable[..., Any]] = MappingProxyType(
    {name: globals()[name] for name in __all__ if _takes_lang(globals().get(name))})


class Words:
    """The replies in one language: ``w.quote_batch(...)`` is ``replies.quote_batch(..., lang=w.lang)``.

    Every other public name (``rupiah``, ``STATUS_NAMES``, the ``admin_*`` alerts) is the package's
    own. An unknown language reads as Indonesian, like ``lang`` everywhere here.
    """

    __slots__ = ("lang",)

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG

    def __getattr__(self, name: str) -> Any:
        if name in LANG_FUNCTIONS:
            bound = functools.partial(LANG_FUNCTIONS[name], lang=self.lang)
            return functools.update_wrapper(bound, LANG_FUNCTIONS[name])
        if name in __all__ and name not in ("Words", "words"):
            return globals()[name]
        raise AttributeError(f"replies has no {name!r}")

    def __dir__(self) -> list[str]:
        return sorted(set(__all__) - {"Words", "words"} | {"lang"})

    def __repr__(self) -> str:
        return f"Words({self.lang!r})"


_WORDS = {lang: Words(lang) for lang in LANGS}


def words(lang: str | None = DEFAULT_LANG) -> Words:
    """The replies bound to ``lang`` (``"id"`` or ``"en"``; anything else is Indonesian), for a turn
    that knows its language."""
    return _WORDS.get(lang or DEFAULT_LANG, _WORDS[DEFAULT_LANG])
