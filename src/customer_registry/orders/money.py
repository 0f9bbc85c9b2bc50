"""Order arithmetic in `Decimal`, never floats, with one documented rounding rule.

Unit prices are net of VAT with at most two decimals, VAT rates are percentages with at most
two decimals. Per line:

    net   = quantity x unit price                      (exact: whole cents)
    VAT   = net x rate / 100, rounded half up to the cent
    gross = net + VAT

and an order's net, VAT and gross are the sums of its lines' amounts, so the totals always
equal the sum of the lines printed on the invoice. Half up means 0.005 becomes 0.01.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Whole cents of an amount that has at most two decimals."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("an amount in cents must be whole")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def to_basis_points(rate: Decimal) -> int:
    """A percentage with at most two decimals in hundredths of a percent: 25.5 -> 2550."""
    return to_cents(rate)


def from_basis_points(basis_points: int) -> Decimal:
    return from_cents(basis_points)


@dataclass(frozen=True, slots=True)
class Amounts:
    net: Decimal
    vat: Decimal
    gross: Decimal

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.net + other.net, self.vat + other.vat, self.gross + other.gross)


ZERO = Amounts(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def line_amounts(quantity: int, unit_price: Decimal, vat_rate: Decimal) -> Amounts:
    """Net, VAT and gross of one line, by the rule above."""
    net = round_to_cent(unit_price * quantity)
    vat = round_to_cent(net * vat_rate / 100)
    return Amounts(net=net, vat=vat, gross=net + vat)


def order_amounts(lines: list[Amounts]) -> Amounts:
    """An order's totals: the sums of its lines."""
    total = ZERO
    for line in lines:
        total += line
    return total
