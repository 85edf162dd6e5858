"""SQLSTATEs map to one exception tree, whichever transport reported them."""

from __future__ import annotations

from shared import errors


def test_documented_refusals_map_to_their_exceptions() -> None:
    assert isinstance(errors.from_sqlstate("BJ001", "saldo kurang", '{"saldo": 5}'), errors.InsufficientSaldo)
    assert errors.from_sqlstate("BJ001", "x", '{"saldo": 5}').detail == {"saldo": 5}
    for code, cls in errors.REFUSALS.items():
        assert type(errors.from_sqlstate(code, "m")) is cls
        assert issubclass(cls, errors.DomainRefusal)


def test_connection_trouble_is_unavailable_and_the_rest_is_a_store_error() -> None:
    assert isinstance(errors.from_sqlstate("08006", "connection failure"), errors.StoreUnavailable)
    assert isinstance(errors.from_sqlstate("57014", "statement timeout"), errors.StoreUnavailable)
    other = errors.from_sqlstate("BJ009", "saldo changed without a ledger posting")
    assert isinstance(other, errors.StoreError) and other.sqlstate == "BJ009"
    assert not other.retryable


def test_config_error_lists_problems() -> None:
    exc = errors.ConfigError(["A: bad", "B: worse"])
    assert str(exc) == "2 configuration problem(s):\n  - A: bad\n  - B: worse"
