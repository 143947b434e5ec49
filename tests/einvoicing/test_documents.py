"""Documents: what the builder refuses (and says why), and the adapter from the invoices domain's totals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from fixtures.einvoicing import CUSTOMER_COMPANY, ISSUER, MIXED_LINES, NUMBERING, make_document
from nitida.einvoicing import ubl
from nitida.einvoicing.documents import DocumentDataError, DocumentKind, LineText, Payment, from_totals, problems
from nitida.invoices import totals as totals_mod
from nitida.vocabulary.kinds import PaymentForm


def _refused(doc) -> list[str]:
    with pytest.raises(DocumentDataError) as caught:
        ubl.build(doc)
    assert caught.value.problems == problems(doc)
    return caught.value.problems


def test_a_complete_document_has_no_problems():
    assert problems(make_document()) == []


def test_missing_issuer_address_and_customer_municipality_are_named():
    doc = dataclasses.replace(
        make_document(),
        supplier=dataclasses.replace(ISSUER, address_line=None),
        customer=dataclasses.replace(CUSTOMER_COMPANY, municipio_code=None),
    )
    assert _refused(doc) == [
        "issuer address (direccion) is missing",
        "customer municipality (municipioCodigo) is missing",
    ]


def test_unknown_dane_code_wrong_dv_and_unknown_codes_are_named():
    doc = dataclasses.replace(
        make_document(),
        customer=dataclasses.replace(
            CUSTOMER_COMPANY, municipio_code="99999", dv="1", responsabilidades=("O-99",), tributo="XX"
        ),
    )
    found = _refused(doc)
    assert "customer municipality '99999' is not a DANE code" in found
    assert "customer NIT 901555333-1 has a wrong check digit" in found
    assert "customer responsabilidad fiscal 'O-99' is not a DIAN code" in found
    assert "customer tributo 'XX' is not a DIAN code" in found


def test_invoice_needs_a_technical_key_and_notes_a_reference_and_concept():
    no_key = dataclasses.replace(make_document(), numbering=dataclasses.replace(NUMBERING, technical_key=""))
    assert _refused(no_key) == ["the numbering resolution has no technical key (clave técnica)"]
    note = dataclasses.replace(
        make_document(DocumentKind.CREDIT_NOTE, number="NC1"), billing_reference=None, concept_code="9"
    )
    assert _refused(note) == [
        "a note must reference the invoice it corrects",
        "note concept '9' is not one of 1, 2, 3, 4, 5, 6",
    ]


def test_credit_payment_needs_a_due_date_and_times_need_a_zone():
    doc = dataclasses.replace(
        make_document(),
        payment=Payment(PaymentForm.CREDITO, "10", None),
        issue_datetime=dt.datetime(2026, 11, 25, 9, 0),
    )
    assert _refused(doc) == ["issue time must carry its time zone", "a credit (crédito) payment needs a due date"]


def test_the_consumidor_final_needs_no_address():
    doc = make_document(customer=make_document().customer.consumidor_final())
    assert problems(doc) == []


def test_from_totals_keeps_the_invoices_domain_figures():
    lines = [ln for ln, _ in MIXED_LINES]
    computed = totals_mod.compute(lines)
    figures = from_totals(lines, [t for _, t in MIXED_LINES], computed)
    assert figures.totals.line_extension == computed.subtotal
    assert figures.totals.payable == computed.total
    assert figures.totals.tax_inclusive == computed.subtotal + computed.tax_total
    # the excluded service line (no taxes) is outside the taxable base
    assert figures.totals.tax_exclusive == computed.subtotal - computed.lines[-1].base
    assert [t.tax_type for t in figures.tax_totals] == ["IVA", "INC"]
    iva = figures.tax_totals[0]
    assert [s.rate for s in iva.subtotals] == [Decimal("0.00"), Decimal("5.00"), Decimal("19.00")]
    assert iva.tax_amount == sum(g.tax_amount for g in computed.groups if g.type is totals_mod.TaxType.IVA)
    notebook = figures.lines[1]  # 3 × 8500 with 10 % off
    assert (notebook.gross_amount, notebook.discount_amount, notebook.line_extension_amount) == (
        Decimal("25500.00"),
        Decimal("2550.00"),
        Decimal("22950.00"),
    )
    assert figures.lines[-1].unit_code == "HUR"


def test_from_totals_refuses_mismatched_inputs():
    lines = [ln for ln, _ in MIXED_LINES]
    with pytest.raises(ValueError):
        from_totals(lines, [LineText("solo una")], totals_mod.compute(lines))


def test_emit_returns_the_signed_xml_its_key_and_qr_data():
    from lxml import etree

    from fixtures.einvoicing import assert_schema_valid, demo_certificate
    from nitida.einvoicing import signing
    from nitida.einvoicing.emit import emit

    doc = make_document()
    emitted = emit(doc, demo_certificate())
    root = etree.fromstring(emitted.xml)
    assert root.findtext("{*}UUID") == emitted.document_key
    assert emitted.qr_data.endswith(emitted.document_key) and "catalogo-vpfe-hab" in emitted.qr_data
    assert signing.verify(emitted.xml)
    assert_schema_valid(emitted.xml)
    # signed at the issue time by default (FAD09e: signing date = issue date)
    assert root.findtext(".//{*}SigningTime").startswith("2026-11-25T09:30:15")
