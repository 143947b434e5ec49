"""The totals arithmetic (pure, no database) and the exact money types."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from nitida.core.money import Money, Quantity
from nitida.invoices import totals
from nitida.invoices.schemas import LineIn, PaymentCreate
from nitida.invoices.totals import Line, Tax, TaxType, compute, line_base, line_tax

IVA19, IVA5, IVA0, INC8 = (
    Tax(TaxType.IVA, D(19)),
    Tax(TaxType.IVA, D(5)),
    Tax(TaxType.IVA, D(0)),
    Tax(TaxType.INC, D(8)),
)


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "expected"),
    [
        ("1", "100000.00", "0", "100000.00"),
        ("3", "33.33", "0", "99.99"),
        ("0.5", "0.01", "0", "0.01"),  # 0.005 -> half-up to 0.01
        ("0.5", "0.03", "0", "0.02"),  # 0.015 -> 0.02
        ("1.5", "0.01", "0", "0.02"),  # 0.015 -> 0.02 (half-up, not banker's)
        ("2.5", "0.01", "0", "0.03"),  # 0.025 -> 0.03 (banker's would give 0.02)
        ("0.333333", "3.00", "0", "1.00"),  # 0.999999
        ("0.000001", "1000000000000.00", "0", "1000000.00"),
        ("2.5", "1000.10", "10", "2250.23"),  # 2250.225 -> 2250.23
        ("1", "99.99", "33.33", "66.66"),  # 66.663333 -> 66.66
        ("1", "10.01", "50", "5.01"),  # 5.005 -> 5.01
        ("7", "1.00", "100", "0.00"),
        ("1", "0.00", "0", "0.00"),
    ],
)
def test_line_base_rounds_half_up_to_the_cent(quantity, price, discount, expected):
    assert line_base(D(quantity), D(price), D(discount)) == D(expected)


@pytest.mark.parametrize(
    ("base", "rate", "expected"),
    [
        ("100000.00", "19", "19000.00"),
        ("0.50", "19", "0.10"),  # 0.095 -> 0.10
        ("0.10", "5", "0.01"),  # 0.005 -> 0.01
        ("0.30", "5", "0.02"),  # 0.015 -> 0.02
        ("0.50", "5", "0.03"),  # 0.025 -> 0.03
        ("0.06", "8", "0.00"),  # 0.0048 -> 0.00
        ("0.07", "8", "0.01"),  # 0.0056 -> 0.01
        ("12345.67", "0", "0.00"),
        ("2250.23", "19", "427.54"),  # 427.5437
    ],
)
def test_line_tax_rounds_half_up_to_the_cent(base, rate, expected):
    assert line_tax(D(base), D(rate)) == D(expected)


INVOICE_CASES = [
    pytest.param(
        [Line(D(1), D("100000.00"), D(0), (IVA19,))],
        {("IVA", "19"): ("100000.00", "19000.00")},
        "100000.00",
        "19000.00",
        "119000.00",
        id="one line IVA 19",
    ),
    pytest.param(
        [
            Line(D(2), D("50000.00"), D(10), (IVA19,)),  # 90000.00 / 17100.00
            Line(D("1.5"), D("12000.00"), D(0), (IVA5,)),  # 18000.00 / 900.00
            Line(D(3), D("2500.00"), D(0), (IVA0,)),  # 7500.00 / 0.00
            Line(D(1), D("45000.00"), D(0), (INC8,)),  # 45000.00 / 3600.00
            Line(D(4), D("1000.00"), D(0), ()),  # 4000.00, excluded
            Line(D("0.25"), D("19999.99"), D("12.5"), (IVA19,)),  # 4374.9978 -> 4375.00 / 831.25
        ],
        {
            ("INC", "8"): ("45000.00", "3600.00"),
            ("IVA", "0"): ("7500.00", "0.00"),
            ("IVA", "5"): ("18000.00", "900.00"),
            ("IVA", "19"): ("94375.00", "17931.25"),
        },
        "168875.00",
        "22431.25",
        "191306.25",
        id="mixed IVA 19/5/0, INC 8, excluded, discounts, fractional quantities",
    ),
    pytest.param(
        # Three lines whose taxes each round up by half a cent: the group is the tax of
        # the summed bases (0.015 -> 0.02, the DIAN's FAS07), not the sum of the rounded
        # line taxes (0.03, issue 25); the lines share it (see the test below).
        [Line(D(1), D("0.10"), D(0), (IVA5,))] * 3,
        {("IVA", "5"): ("0.30", "0.02")},
        "0.30",
        "0.02",
        "0.32",
        id="a group's tax is its base times its rate, not the sum of rounded line taxes",
    ),
    pytest.param(
        [Line(D("0.5"), D("0.01"), D(0), (IVA19,)), Line(D("0.5"), D("0.03"), D(0), (INC8,))],
        {("INC", "8"): ("0.02", "0.00"), ("IVA", "19"): ("0.01", "0.00")},
        "0.03",
        "0.00",
        "0.03",
        id="half-cent bases",
    ),
    pytest.param(
        [Line(D(1), D("1000.00"), D(0), ()), Line(D(2), D("0.00"), D(0), (IVA19,))],
        {("IVA", "19"): ("0.00", "0.00")},
        "1000.00",
        "0.00",
        "1000.00",
        id="excluded line and a free line",
    ),
    pytest.param(
        [Line(D(1), D("100.00"), D(0), (IVA19, INC8))],
        {("INC", "8"): ("100.00", "8.00"), ("IVA", "19"): ("100.00", "19.00")},
        "100.00",
        "27.00",
        "127.00",
        id="one line in two groups",
    ),
]


@pytest.mark.parametrize(("lines", "groups", "subtotal", "tax_total", "total"), INVOICE_CASES)
def test_invoice_totals_table(lines, groups, subtotal, tax_total, total):
    result = compute(lines)
    got = {(g.type.value, str(g.rate.normalize())): (str(g.taxable_amount), str(g.tax_amount)) for g in result.groups}
    assert got == groups
    assert (str(result.subtotal), str(result.tax_total), str(result.total)) == (subtotal, tax_total, total)


def test_groups_are_ordered_by_type_then_rate():
    result = compute([Line(D(1), D(1), D(0), (t,)) for t in (IVA19, INC8, IVA0, IVA5)])
    assert [(g.type.value, int(g.rate)) for g in result.groups] == [("INC", 8), ("IVA", 0), ("IVA", 5), ("IVA", 19)]


def test_no_lines_is_zero():
    result = compute([])
    # As strings: D(0) == D("0.00"), but only the latter is a money amount of two decimals.
    assert (str(result.subtotal), str(result.tax_total), str(result.total)) == ("0.00", "0.00", "0.00")
    assert (result.lines, result.groups) == ((), ())


def test_each_line_carries_its_base_taxes_and_total():
    result = compute(
        [
            Line(D(2), D("50000.00"), D(10), (IVA19, INC8)),  # base 90000.00, IVA 17100.00, INC 7200.00
            Line(D(1), D("999.99"), D(0), ()),
            Line(D(3), D("0.05"), D(0), (IVA5,)),  # 0.15, tax 0.0075 -> 0.01
        ]
    )
    first, second, third = result.lines
    assert first.base == D("90000.00")
    assert [(t.type, t.rate, str(t.amount)) for t in first.taxes] == [
        (TaxType.IVA, D(19), "17100.00"),
        (TaxType.INC, D(8), "7200.00"),
    ]
    assert (str(first.tax_total), str(first.total)) == ("24300.00", "114300.00")
    assert (second.taxes, str(second.tax_total), str(second.total)) == ((), "0.00", "999.99")
    assert (str(third.base), str(third.tax_total), str(third.total)) == ("0.15", "0.01", "0.16")
    assert str(result.total) == "115300.15"
    assert sum((lt.total for lt in result.lines), D(0)) == result.total


def test_line_taxes_share_the_groups_tax_a_cent_at_most_from_their_own():
    # 150 lines of 0.13 at IVA 19: each line's tax is 0.0247 (0.02 rounded), and the summed rounded
    # taxes (3.00) were 0.71 under the group's base × rate (19.50 × 19 % = 3.705 -> 3.71): the DIAN
    # rejected it (FAS07). Now the group is 3.71 and 71 lines carry 0.03, the rest 0.02.
    result = compute([Line(D(1), D("0.13"), D(0), (IVA19,))] * 150)
    [group] = result.groups
    assert (group.taxable_amount, group.tax_amount) == (D("19.50"), D("3.71"))
    amounts = [lt.taxes[0].amount for lt in result.lines]
    assert sum(amounts, D(0)) == D("3.71")
    assert amounts.count(D("0.03")) == 71 and amounts.count(D("0.02")) == 79
    assert amounts[:71] == [D("0.03")] * 71  # equal remainders: by position
    # and downwards: 0.15 at 5 % is 0.0075 -> 0.01 each; 200 lines are 30.00 × 5 % = 1.50, not 2.00
    result = compute([Line(D(1), D("0.15"), D(0), (IVA5,))] * 200)
    assert result.groups[0].tax_amount == D("1.50")
    assert sorted({lt.taxes[0].amount for lt in result.lines}) == [D("0.00"), D("0.01")]
    assert sum((lt.tax_total for lt in result.lines), D(0)) == result.tax_total == D("1.50")


def test_a_rate_written_19_00_is_the_same_group_as_19():
    result = compute([Line(D(1), D(100), D(0), (IVA19,)), Line(D(1), D(100), D(0), (Tax(TaxType.IVA, D("19.00")),))])
    assert [(g.rate, g.taxable_amount, g.tax_amount) for g in result.groups] == [(D("19.00"), D(200), D(38))]


_taxes = st.sampled_from([(), (IVA19,), (IVA5,), (IVA0,), (INC8,), (Tax(TaxType.INC, D(16)),), (IVA19, INC8)])
_lines = st.builds(
    Line,
    quantity=st.decimals(min_value=D("0.000001"), max_value=D(100000), places=6),
    unit_price=st.decimals(min_value=D(0), max_value=D(1_000_000_000), places=2),
    discount_percent=st.decimals(min_value=D(0), max_value=D(100), places=2),
    taxes=_taxes,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_lines, max_size=40))
def test_totals_properties(lines):
    result = compute(lines)
    assert result.total == result.subtotal + sum((g.tax_amount for g in result.groups), D(0))
    assert result.tax_total == sum((g.tax_amount for g in result.groups), D(0))
    assert result.subtotal == sum((lt.base for lt in result.lines), D(0))
    for group in result.groups:
        members = [
            (lt, tax) for lt in result.lines for tax in lt.taxes if (tax.type, tax.rate) == (group.type, group.rate)
        ]
        assert group.taxable_amount == sum((lt.base for lt, _ in members), D(0))
        assert group.tax_amount == sum((tax.amount for _, tax in members), D(0))
        exact = group.taxable_amount * group.rate / 100
        assert group.tax_amount == exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)  # FAS07
        for lt, tax in members:
            assert abs(tax.amount - lt.base * tax.rate / 100) < D("0.01")  # FAX07, within a cent
    for line, lt in zip(lines, result.lines, strict=True):
        exact = line.quantity * line.unit_price * (100 - line.discount_percent) / 100
        assert abs(lt.base - exact) <= D("0.005")  # one rounding, to the nearest cent
        assert lt.base == lt.base.quantize(D("0.01"))
        assert lt.base >= 0


# --- the money types --------------------------------------------------------------------


def _line(**kw):
    return LineIn.model_validate({"description": "x", "quantity": "1", "unitPrice": "1", **kw})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", 0.1),  # a binary float that is not 0.1
        ("unitPrice", 19.99),
        ("unitPrice", "1.005"),  # three decimals in a price
        ("unitPrice", "-1"),
        ("unitPrice", "abc"),
        ("unitPrice", "1e3"),
        ("unitPrice", True),
        ("unitPrice", float("nan")),
        ("quantity", "0"),
        ("quantity", "1.0000001"),  # seven decimals in a quantity
        ("discountPercent", "100.01"),
        ("discountPercent", "-0.01"),
    ],
)
def test_money_inputs_refused(field, value):
    with pytest.raises(ValidationError) as err:
        _line(**{field: value})
    assert err.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("unitPrice", 0.5, "0.5"),  # exactly representable floats are fine
        ("unitPrice", 119000, "119000"),
        ("unitPrice", "119000.00", "119000.00"),
        ("quantity", "1.123456", "1.123456"),
        ("quantity", 2.25, "2.25"),
        ("discountPercent", "12.5", "12.5"),
    ],
)
def test_money_inputs_accepted(field, value, expected):
    parsed = _line(**{field: value})
    assert getattr(parsed, {"unitPrice": "unit_price", "discountPercent": "discount_percent"}.get(field, field)) == D(
        expected
    )


def test_money_serialises_with_two_decimals():
    from nitida.invoices.schemas import PaymentRead

    dumped = PaymentRead.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "amount": D("119000"),
            "date": "2026-01-02",
            "method": "OTRO",
            "reference": None,
            "createdAt": "2026-01-02T10:00:00+00:00",
        }
    ).model_dump(mode="json", by_alias=True)
    assert dumped["amount"] == "119000.00"


def test_payment_amount_must_be_positive():
    with pytest.raises(ValidationError):
        PaymentCreate.model_validate({"amount": "0", "method": "EFECTIVO"})


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_column_types_round_trip_exactly(dialect):
    money, quantity = Money(), Quantity()
    for column, value in ((money, D("9999999999999999.99")), (money, D("0.01")), (quantity, D("123456789012.123456"))):
        stored = column.process_bind_param(value, dialect)
        if dialect.name == "sqlite":
            assert isinstance(stored, int)
        assert column.process_result_value(stored, dialect) == value
    with pytest.raises(ValueError):
        money.process_bind_param(D("0.001"), dialect)
    with pytest.raises(TypeError):
        money.process_bind_param(0.1, dialect)


def test_allowed_rates():
    assert totals.rate_allowed(TaxType.IVA, D("19.00"))
    assert not totals.rate_allowed(TaxType.IVA, D(8))
    assert totals.rate_allowed(TaxType.INC, D(8)) and totals.rate_allowed(TaxType.INC, D(16))
    allowed = {t: [r for r in map(D, range(0, 101)) if totals.rate_allowed(t, r)] for t in TaxType}
    assert allowed == {TaxType.IVA: [0, 5, 19], TaxType.INC: [4, 8, 16]}
    assert totals.allowed_rates_text(TaxType.IVA) == "0, 5, 19"
    assert totals.allowed_rates_text(TaxType.INC) == "4, 8, 16"


@pytest.mark.parametrize(
    ("tax_type", "rate"), [("IVA", "0"), ("IVA", "5"), ("IVA", "19.00"), ("INC", "4"), ("INC", "8"), ("INC", "16")]
)
def test_every_legal_rate_is_accepted(tax_type, rate):
    assert _line(taxes=[{"type": tax_type, "rate": rate}]).taxes[0].rate == D(rate)


@pytest.mark.parametrize(
    ("tax_type", "rate", "message"),
    [("IVA", "16", "IVA rate must be one of 0, 5, 19"), ("INC", "19", "INC rate must be one of 4, 8, 16")],
)
def test_an_illegal_rate_names_the_legal_ones(tax_type, rate, message):
    with pytest.raises(ValidationError, match=message):
        _line(taxes=[{"type": tax_type, "rate": rate}])
