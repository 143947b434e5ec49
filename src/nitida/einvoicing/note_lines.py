"""What a note takes from (or adds to) an invoice's lines (issue 25): the ledger of each line.

An invoice's line n (1 is the first) has what was invoiced, plus what debit notes added to it, less what credit
notes took back: its units and its base (value before taxes). A note names the lines it credits or debits
(``items``: a line and a quantity of its units, or an amount of its base) and its lines are then built from
the invoice's own lines, so the taxes are always the line's (no IVA on an excluded line). A credit may never
take more of a line than is left of it; a credit for an amount not tied to a line (a discount on the whole
invoice) is split over the invoice's combinations of taxes in proportion to what is left in each, and never
takes more of a combination than is left in it.

A stored note line that came from an item keeps the line's number as ``invoiceLine``. Lines of notes issued
before (or given as free lines) are matched to the invoice's line they repeat (same description, price,
discount and taxes); what matches no line is credited per combination of taxes.

Everything here is arithmetic on stored lines: no database, no signing (einvoicing.notes does that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nitida.core.errors import BadRequest, Conflict, FieldError
from nitida.core.money import ZERO, format_money
from nitida.invoices import stored, totals

Raw = dict[str, Any]
Combination = tuple[tuple[str, Decimal], ...]
INVOICE_LINE = "invoiceLine"


def quantity_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def base_of(raw: Raw) -> Decimal:
    return totals.compute_line(stored.to_line(raw)).base


def combination(raw: Raw) -> Combination:
    return tuple(sorted((t["type"], Decimal(str(t["rate"]))) for t in raw["taxes"]))


def same_line(a: Raw, b: Raw) -> bool:
    """Whether ``a`` repeats ``b`` (its units at its price): description, price, discount and taxes."""
    return (
        a["description"] == b["description"]
        and Decimal(str(a["unitPrice"])) == Decimal(str(b["unitPrice"]))
        and Decimal(str(a["discountPercent"])) == Decimal(str(b["discountPercent"]))
        and combination(a) == combination(b)
    )


@dataclass
class Entry:
    """One line of the invoice (or of a debit note not tied to one): what is left of it to credit."""

    number: int  # 1-based; an invoice's lines first, then the debit notes' own lines
    raw: Raw  # the line as invoiced (or debited)
    quantity: Decimal  # units left
    base: Decimal  # base left
    invoiced: bool  # a line of the invoice (items may name it)

    @property
    def label(self) -> str:
        return f"line {self.number} ({self.raw['description']})"

    def remaining_line(self) -> Raw | None:
        """What is left of it as a line: its units when they are what is left, else one unit of the base.
        A free line (a gift: no base, taxed on its reference value) is left as long as its units are."""
        line = {k: v for k, v in self.raw.items() if k != INVOICE_LINE}
        if line.get("referencePrice") is not None and self.base <= 0:
            return {**line, "quantity": quantity_text(self.quantity)} if self.quantity > 0 else None
        if self.base <= 0:
            return None
        price, discount = Decimal(str(line["unitPrice"])), Decimal(str(line["discountPercent"]))
        if self.quantity > 0 and totals.line_base(self.quantity, price, discount) == self.base:
            return {**line, "quantity": quantity_text(self.quantity)}
        return stored.line_json(line["description"], Decimal(1), self.base, ZERO, list(line["taxes"]))


@dataclass
class Ledger:
    entries: list[Entry]
    # Credited base tied to no line, per combination of taxes (with the taxes as stored).
    loose: dict[Combination, Decimal] = field(default_factory=dict)
    taxes_of: dict[Combination, list[dict[str, str]]] = field(default_factory=dict)
    notes_count: int = 0  # notes issued on the invoice so far

    @property
    def invoice_lines(self) -> list[Entry]:
        return [e for e in self.entries if e.invoiced]

    def combinations_left(self) -> dict[Combination, Decimal]:
        """Base left per combination of taxes (an excluded line's combination is empty)."""
        out: dict[Combination, Decimal] = {}
        for e in self.entries:
            key = combination(e.raw)
            self.taxes_of.setdefault(key, list(e.raw["taxes"]))
            out[key] = out.get(key, ZERO) + max(e.base, ZERO)
        for key, base in self.loose.items():
            out[key] = out.get(key, ZERO) - base
        return out

    def left_total(self) -> Decimal:
        return sum((max(b, ZERO) for b in self.combinations_left().values()), ZERO)

    # --- moving the ledger --------------------------------------------------------------

    def debit(self, raw: Raw) -> None:
        number = raw.get(INVOICE_LINE)
        entry = self._entry(number) if number is not None else None
        if entry is None:
            self.entries.append(
                Entry(len(self.entries) + 1, dict(raw), Decimal(str(raw["quantity"])), base_of(raw), False)
            )
            return
        entry.base += base_of(raw)
        if same_line(raw, entry.raw):
            entry.quantity += Decimal(str(raw["quantity"]))

    def credit(self, raw: Raw, *, strict: bool = False, where: str = "lines") -> None:
        """Take ``raw`` off what is left; ``strict`` (a note being issued): refuse more than is left (409)."""
        number = raw.get(INVOICE_LINE)
        base = base_of(raw)
        if number is not None:
            entry = self._entry(number)
            assert entry is not None
            units = same_line(raw, entry.raw)
            quantity = Decimal(str(raw["quantity"])) if units else ZERO
            if strict:
                if units and quantity > entry.quantity:
                    raise _line_exceeded(where, entry, f"{quantity_text(quantity)} units asked", "units")
                if base > entry.base:
                    raise _line_exceeded(where, entry, f"{format_money(base)} asked", "base")
            entry.base -= base
            entry.quantity = max(entry.quantity - quantity, ZERO)
            return
        # A line of an older note, or a free line: the invoice's lines it repeats take its units.
        wanted = Decimal(str(raw["quantity"]))
        for entry in self.entries:
            if wanted and entry.quantity > 0 and same_line(raw, entry.raw):
                taken = min(wanted, entry.quantity)
                taken_base = totals.line_base(
                    taken, Decimal(str(raw["unitPrice"])), Decimal(str(raw["discountPercent"]))
                )
                entry.quantity -= taken
                entry.base -= taken_base
                wanted -= taken
                base -= taken_base
        if base > 0:
            key = combination(raw)
            if strict:
                left = self.combinations_left().get(key)
                if left is None:
                    raise Conflict(
                        f"{where}: {_taxes_text(key)} is on none of the invoice's lines: a credit note's taxes come "
                        "from the invoice's lines.",
                        errors=[
                            FieldError(field=where, message=f"{_taxes_text(key)} is on none of the invoice's lines")
                        ],
                        slug="credit-tax-not-invoiced",
                    )
                if base > left:
                    raise Conflict(
                        f"{where}: a credit of {format_money(base)} with {_taxes_text(key)} is more than is left of the "
                        f"invoice's lines with it ({format_money(max(left, ZERO))}).",
                        errors=[FieldError(field=where, message=f"at most {format_money(max(left, ZERO))} is left")],
                        slug="credit-exceeds-lines",
                    )
            self.taxes_of.setdefault(key, list(raw["taxes"]))
            self.loose[key] = self.loose.get(key, ZERO) + base

    def _entry(self, number: int) -> Entry | None:
        return next((e for e in self.entries if e.number == number and e.invoiced), None)

    # --- what notes are made of -------------------------------------------------------------

    def what_is_left(self, description: str) -> list[Raw]:
        """The lines an anulación credits: every line with what is left of it; when credits were taken not from
        lines (an amount), one line per combination of taxes for the base left in it."""
        if not any(v > 0 for v in self.loose.values()):
            return [line for e in self.entries if (line := e.remaining_line()) is not None]
        left = self.combinations_left()
        return [
            stored.line_json(description, Decimal(1), base, ZERO, self.taxes_of[key])
            for key, base in left.items()
            if base > 0
        ]

    def split(self, amount: Decimal, description: str, *, of_left: bool = True) -> list[Raw]:
        """``amount`` of base split over the combinations of taxes in proportion to their base (what is left of
        them for a credit, what was invoiced for a debit); the last combination takes the cents."""
        if of_left:
            shares = {k: v for k, v in self.combinations_left().items() if v > 0}
        else:
            shares = {}
            for e in self.invoice_lines:
                key = combination(e.raw)
                self.taxes_of.setdefault(key, list(e.raw["taxes"]))
                shares[key] = shares.get(key, ZERO) + base_of(e.raw)
            shares = {k: v for k, v in shares.items() if v > 0}
        whole = sum(shares.values(), ZERO)
        if whole <= 0:
            shares, whole = {(): Decimal(1)}, Decimal(1)
            self.taxes_of.setdefault((), [])
        out: list[Raw] = []
        given = ZERO
        keys = list(shares)
        for i, key in enumerate(keys):
            part = amount - given if i == len(keys) - 1 else totals.round_money(amount * shares[key] / whole)
            given += part
            if part > 0:
                out.append(stored.line_json(description, Decimal(1), part, ZERO, self.taxes_of[key]))
        return out


def _taxes_text(key: Combination) -> str:
    if not key:
        return "no tax (excluded)"
    return " + ".join(f"{t} {rate.normalize():f} %" for t, rate in key)


def _line_exceeded(where: str, entry: Entry, asked: str, what: str) -> Conflict:
    if what == "units":
        left = f"{quantity_text(entry.quantity)} units are left to credit"
    else:
        left = f"{format_money(max(entry.base, ZERO))} of its value is left to credit"
    message = f"{entry.label}: {left}, {asked}"
    return Conflict(
        f"A credit note can never credit more of a line than is left of it: {message}.",
        errors=[FieldError(field=where, message=message)],
        slug="credit-exceeds-line",
    )


def ledger(invoice_lines: Iterable[Raw], notes: Iterable[tuple[bool, list[Raw]]]) -> Ledger:
    """The ledger of an invoice's lines after its notes, in the order issued (``(is_credit, lines)``)."""
    book = Ledger(
        [
            Entry(i, dict(raw), Decimal(str(raw["quantity"])), base_of(raw), True)
            for i, raw in enumerate(invoice_lines, start=1)
        ]
    )
    for is_credit, lines in notes:
        book.notes_count += 1
        for raw in lines:
            if is_credit:
                book.credit(raw)
            else:
                book.debit(raw)
    return book


def from_items(book: Ledger, items: list[Any]) -> list[Raw]:
    """A note's lines from ``items`` (``line``, and ``quantity`` or ``amount``): built from the invoice's lines."""
    count = len(book.invoice_lines)
    out: list[Raw] = []
    for i, item in enumerate(items):
        entry = book._entry(item.line)
        if entry is None:
            raise BadRequest.field(f"items[{i}].line", f"the invoice has {count} line{'s' if count != 1 else ''}")
        line = {k: v for k, v in entry.raw.items() if k != INVOICE_LINE}
        if item.quantity is not None:
            out.append({**line, "quantity": quantity_text(item.quantity), INVOICE_LINE: item.line})
        else:
            raw = stored.line_json(line["description"], Decimal(1), item.amount, ZERO, list(line["taxes"]))
            out.append({**raw, INVOICE_LINE: item.line})
    return out


def match_invoice_lines(book: Ledger, lines: list[Raw]) -> list[Raw]:
    """Free lines of a return (concept 1): each must repeat one of the invoice's lines (it then names it)."""
    out = []
    for i, raw in enumerate(lines):
        entry = next((e for e in book.invoice_lines if same_line(raw, e.raw)), None)
        if entry is None:
            raise Conflict(
                f"lines[{i}]: a return (concept 1) credits the invoice's own lines; "
                f"'{raw['description']}' at that price and taxes is none of them: name the lines in items.",
                errors=[FieldError(field=f"lines[{i}]", message="is none of the invoice's lines")],
                slug="return-not-invoiced",
            )
        out.append({**raw, INVOICE_LINE: entry.number})
    return out
