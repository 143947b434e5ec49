"""Invoice totals: pure arithmetic on Decimals, no database, no I/O.

The rules (issue 4), applied in this order:

* line base = quantity × unitPrice × (1 − discountPercent / 100), rounded
  half-up to 2 decimals;
* per (type, rate): taxable amount = Σ bases of the lines carrying that tax,
  tax amount = taxable amount × rate / 100, rounded half-up to 2 decimals
  (issue 25: the DIAN's rule FAS07; summing rounded line taxes drifted from it
  by up to half a cent per line);
* each line's tax is its share of its group's tax: base × rate / 100 rounded
  half-up to the cent, then the cents the group still differs by are given
  to (or taken from) the lines whose exact tax was rounded the most the other
  way (largest remainder; ties by position), one cent per line at most. So the
  lines' taxes add up to the group's, and each is within a cent of its exact
  value (the DIAN's line rule FAX07);
* subtotal = Σ line bases; taxTotal = Σ group taxes; total = subtotal + taxTotal.

A free line (a gift or a sample: its base is 0, price 0 or a 100 % discount) carries a reference unit price
(issue 25): its taxes are on the reference value, quantity × reference price rounded to the cent, as the
DIAN's documents declare it (FreeOfChargeIndicator, PricingReference); its base stays 0.

A line with no taxes is in no group (excluded from IVA, which is not the same
as IVA at 0 %: that one is a group of its own).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from nitida.core.money import CENT, ZERO

HUNDRED = Decimal(100)

# Wide enough that no product of the inputs we accept is ever rounded before
# the one rounding the rules ask for.
_EXACT = Context(prec=80, rounding=ROUND_HALF_UP)


class TaxType(enum.StrEnum):
    IVA = "IVA"
    INC = "INC"


# Rates the law sets (percent). IVA: general 19, reduced 5, exempt 0.
# INC: 8 general (restaurants…), 4 and 16 for the goods the law names.
ALLOWED_RATES: dict[TaxType, frozenset[Decimal]] = {
    TaxType.IVA: frozenset({Decimal(0), Decimal(5), Decimal(19)}),
    TaxType.INC: frozenset({Decimal(4), Decimal(8), Decimal(16)}),
}


@dataclass(frozen=True, slots=True)
class Tax:
    type: TaxType
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal(0)
    taxes: tuple[Tax, ...] = ()
    reference_price: Decimal | None = None  # a free line's commercial unit value (its taxes are on it)


@dataclass(frozen=True, slots=True)
class LineTax:
    type: TaxType
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineTotals:
    base: Decimal
    taxes: tuple[LineTax, ...]
    taxable: Decimal | None = None  # the taxes' base when it is not ``base``: a free line's reference value

    @property
    def tax_base(self) -> Decimal:
        return self.base if self.taxable is None else self.taxable

    @property
    def tax_total(self) -> Decimal:
        return sum((t.amount for t in self.taxes), ZERO)

    @property
    def total(self) -> Decimal:
        return self.base + self.tax_total


@dataclass(frozen=True, slots=True)
class TaxGroup:
    type: TaxType
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    lines: tuple[LineTotals, ...]
    groups: tuple[TaxGroup, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def round_money(value: Decimal) -> Decimal:
    """Half-up to the cent: 0.005 -> 0.01, 2.675 -> 2.68 (Decimals, so no float surprises)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_EXACT)


def line_base(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = Decimal(0)) -> Decimal:
    with localcontext(_EXACT):
        gross = quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED
    return round_money(gross)


def line_tax(base: Decimal, rate: Decimal) -> Decimal:
    with localcontext(_EXACT):
        amount = base * rate / HUNDRED
    return round_money(amount)


def is_free(line: Line) -> bool:
    """A line given away: a gift or a sample (price 0, or a 100 % discount)."""
    return line.unit_price == 0 or line.discount_percent == HUNDRED


def compute_line(line: Line) -> LineTotals:
    base = line_base(line.quantity, line.unit_price, line.discount_percent)
    taxable = None
    if line.reference_price is not None and is_free(line):
        taxable = line_base(line.quantity, line.reference_price)
    tax_base = base if taxable is None else taxable
    taxes = tuple(LineTax(t.type, t.rate, line_tax(tax_base, t.rate)) for t in line.taxes)
    return LineTotals(base=base, taxes=taxes, taxable=taxable)


def _exact_tax(base: Decimal, rate: Decimal) -> Decimal:
    with localcontext(_EXACT):
        return base * rate / HUNDRED


def compute(lines: Iterable[Line]) -> Totals:
    computed = [compute_line(line) for line in lines]
    # (type, rate) -> [(line index, tax index)], rates normalised so 19 and 19.00 are one group.
    members: dict[tuple[TaxType, Decimal], list[tuple[int, int]]] = {}
    for i, lt in enumerate(computed):
        for j, tax in enumerate(lt.taxes):
            members.setdefault((tax.type, tax.rate.quantize(CENT, context=_EXACT)), []).append((i, j))
    amounts = [[t.amount for t in lt.taxes] for lt in computed]
    groups: dict[tuple[TaxType, Decimal], tuple[Decimal, Decimal]] = {}
    for (tax_type, rate), where in members.items():
        taxable = sum((computed[i].tax_base for i, _ in where), ZERO)
        tax_amount = line_tax(taxable, rate)
        cents = int((tax_amount - sum((amounts[i][j] for i, j in where), ZERO)) / CENT)
        if cents:
            # What rounding took from (gave to) each line; the lines it took most from get a cent back.
            step = CENT if cents > 0 else -CENT
            by_remainder = sorted(
                where,
                key=lambda ij: (
                    -(_exact_tax(computed[ij[0]].tax_base, rate) - amounts[ij[0]][ij[1]]) * (1 if cents > 0 else -1),
                    ij,
                ),
            )
            for i, j in by_remainder[: abs(cents)]:
                amounts[i][j] += step
        groups[(tax_type, rate)] = (taxable, tax_amount)
    line_totals = tuple(
        LineTotals(
            base=lt.base,
            taxes=tuple(LineTax(t.type, t.rate, amount) for t, amount in zip(lt.taxes, amounts[i], strict=True)),
            taxable=lt.taxable,
        )
        for i, lt in enumerate(computed)
    )
    ordered = tuple(
        TaxGroup(type=t, rate=rate, taxable_amount=taxable, tax_amount=amount)
        for (t, rate), (taxable, amount) in sorted(groups.items(), key=lambda kv: (kv[0][0].value, kv[0][1]))
    )
    subtotal = sum((lt.base for lt in line_totals), ZERO)
    tax_total = sum((g.tax_amount for g in ordered), ZERO)
    return Totals(
        lines=line_totals,
        groups=ordered,
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
    )


def rate_allowed(tax_type: TaxType, rate: Decimal) -> bool:
    return rate in ALLOWED_RATES[tax_type]


def allowed_rates_text(tax_type: TaxType) -> str:
    return ", ".join(str(r) for r in sorted(ALLOWED_RATES[tax_type]))
