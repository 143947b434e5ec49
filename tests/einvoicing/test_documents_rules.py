"""Every refusal of a document, word for word, and the small facts the XML and the CUFE read from it.

The back office shows these phrases to the person who must fix the data (issuer settings, the
customer's record, the resolution), so each is asserted whole, in the order they are listed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from fixtures.einvoicing import CUSTOMER_COMPANY, ISSUER, MIXED_LINES, SOFTWARE, line, make_document
from nitida.einvoicing.documents import (
    BOGOTA,
    DocumentDataError,
    DocumentKind,
    DocumentLine,
    LineTax,
    LineText,
    Party,
    Payment,
    TaxTotal,
    from_totals,
    problems,
)
from nitida.invoices import totals as totals_mod
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import Environment, PaymentForm, PersonType


def test_every_party_problem_is_named_for_its_role():
    nobody = dataclasses.replace(
        CUSTOMER_COMPANY,
        id_type="99",
        id_number="",
        razon_social="   ",
        responsabilidades=(),
        tributo="XX",
        municipio_code="99999",
        address_line="  ",
    )
    doc = dataclasses.replace(make_document(), customer=nobody)
    assert problems(doc) == [
        "customer identification type '99' is not a DIAN code",
        "customer identification number is missing",
        "customer name (razón social) is missing",
        "customer responsabilidades fiscales are missing",
        "customer tributo 'XX' is not a DIAN code",
        "customer municipality '99999' is not a DANE code",
        "customer address (direccion) is missing",
    ]


def test_nit_check_digit_missing_or_wrong_and_unknown_responsabilidad():
    no_dv = dataclasses.replace(ISSUER, dv=None, responsabilidades=("O-13", "O-99"))
    assert problems(dataclasses.replace(make_document(), supplier=no_dv)) == [
        "issuer NIT check digit is missing",
        "issuer responsabilidad fiscal 'O-99' is not a DIAN code",
    ]
    wrong = dataclasses.replace(ISSUER, dv="7")
    assert problems(dataclasses.replace(make_document(), supplier=wrong)) == [
        "issuer NIT 900123456-7 has a wrong check digit"
    ]
    # A cédula has no check digit to check, whatever dv says.
    person = dataclasses.replace(
        CUSTOMER_COMPANY, id_type="13", id_number="1020304050", dv=None, person_type=PersonType.NATURAL
    )
    assert problems(dataclasses.replace(make_document(), customer=person)) == []


def test_issuer_must_be_a_nit_and_needs_an_address_even_with_the_consumidor_final_number():
    issuer = dataclasses.replace(
        ISSUER, id_type="13", id_number=codelists.CONSUMIDOR_FINAL_NUMBER, dv=None, address_line=None
    )
    assert problems(dataclasses.replace(make_document(), supplier=issuer)) == [
        "issuer is a persona jurídica but identification type '13' is a natural person's",
        "issuer address (direccion) is missing",
        "issuer must be identified by NIT",
    ]


def test_consumidor_final_skips_only_the_address_checks():
    final = dataclasses.replace(Party.consumidor_final(), tributo="XX")
    assert problems(make_document(customer=final)) == ["customer tributo 'XX' is not a DIAN code"]
    assert final.is_consumidor_final and not CUSTOMER_COMPANY.is_consumidor_final


def test_consumidor_final_is_the_dian_anonymous_buyer():
    final = Party.consumidor_final("compras@example.co")
    assert (final.person_type, final.id_type, final.id_number) == (PersonType.NATURAL, "13", "222222222222")
    assert (final.razon_social, final.responsabilidades, final.tributo) == ("Consumidor final", ("R-99-PN",), "ZZ")
    assert final.email == "compras@example.co" and final.municipio is None
    assert Party.consumidor_final().email is None


def test_document_level_problems_in_their_order():
    doc = dataclasses.replace(
        make_document(),
        issue_datetime=dt.datetime(2026, 11, 25, 9, 0),
        lines=(),
        number="SETP-1",
        software=dataclasses.replace(SOFTWARE, pin=""),
        numbering=None,
        payment=Payment(PaymentForm.CREDITO, "ZZ", None),
    )
    assert problems(doc) == [
        "issue time must carry its time zone",
        "a document needs at least one line",
        "document number 'SETP-1' must be letters and digits only",
        "software id and PIN are missing",
        "an invoice needs its numbering resolution",
        "payment means 'ZZ' is not a DIAN code",
        "a credit (crédito) payment needs a due date",
    ]
    empty_number = dataclasses.replace(
        make_document(), number="", software=dataclasses.replace(SOFTWARE, software_id="")
    )
    assert problems(empty_number) == [
        "document number '' must be letters and digits only",
        "software id and PIN are missing",
    ]
    on_credit = dataclasses.replace(make_document(), payment=Payment(PaymentForm.CREDITO, "10", dt.date(2026, 12, 25)))
    assert problems(on_credit) == []


def test_each_line_problem_names_its_position():
    bad = (*MIXED_LINES[:1], line("  ", "1", "100.00", unit="XYZ"), line("Caja", "1", "5.00", unit="KGM"))
    assert problems(make_document(lines=bad)) == [
        "line 2 unit code 'XYZ' is not offered",
        "line 2 has no description",
    ]


def test_debit_and_credit_notes_have_their_own_concepts():
    debit = make_document(DocumentKind.DEBIT_NOTE, number="ND1", concept="5")
    assert problems(debit) == ["note concept '5' is not one of 1, 2, 3, 4"]
    assert problems(make_document(DocumentKind.CREDIT_NOTE, number="NC1", concept="5")) == []
    assert problems(make_document(DocumentKind.CREDIT_NOTE, number="NC1", concept="6")) == []
    assert problems(make_document(DocumentKind.CREDIT_NOTE, number="NC1", concept="7")) == [
        "note concept '7' is not one of 1, 2, 3, 4, 5, 6"
    ]
    # A note is not an invoice: no resolution is asked of it.
    assert debit.numbering is None


def test_the_refusal_joins_every_problem():
    error = DocumentDataError(["a", "b c"])
    assert error.problems == ["a", "b c"] and str(error) == "a; b c"


def test_codes_the_xml_writes():
    assert [k.type_code for k in DocumentKind] == ["01", "91", "92"]
    assert (Environment.PRODUCCION.code, Environment.HABILITACION.code) == ("1", "2")
    assert (PersonType.JURIDICA.code, PersonType.NATURAL.code) == ("1", "2")
    assert (PaymentForm.CONTADO.code, PaymentForm.CREDITO.code) == ("1", "2")
    assert CUSTOMER_COMPANY.municipio.code == "05001"


def test_issue_date_and_time_are_bogota_time_with_its_offset():
    doc = make_document(issued_at=dt.datetime(2027, 1, 1, 4, 59, 59, tzinfo=dt.UTC))
    assert doc.local_issue == dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=BOGOTA)
    assert (doc.issue_date, doc.issue_time) == ("2026-12-31", "23:59:59-05:00")


def test_tax_amount_per_tax_type():
    doc = make_document()
    iva = sum((t.tax_amount for t in doc.tax_totals if t.tax_type == "IVA"), Decimal(0))
    assert doc.tax_amount("IVA") == iva == Decimal("28210.50")
    assert doc.tax_amount("INC") == Decimal("2736.00")
    # A tax the document does not carry is 0.00 (the CUFE writes it so).
    untaxed = make_document(lines=(line("Asesoría", "1", "100.00"),))
    assert untaxed.tax_totals == () and str(untaxed.tax_amount("IVA")) == "0.00"


def test_from_totals_line_by_line():
    lines = [ln for ln, _ in MIXED_LINES]
    texts = [LineText("Resma", "94", "R-75")] + [t for _, t in MIXED_LINES[1:]]
    computed = totals_mod.compute(lines)
    figures = from_totals(lines, texts, computed)
    first = figures.lines[0]
    assert first == DocumentLine(
        description="Resma",
        quantity=Decimal("10"),
        unit_price=Decimal("11900.00"),
        line_extension_amount=Decimal("119000.00"),
        taxes=(LineTax("IVA", Decimal("19.00"), Decimal("119000.00"), Decimal("22610.00")),),
        unit_code="94",
        discount_percent=Decimal("0"),
        discount_amount=Decimal("0.00"),
        item_code="R-75",
    )
    lunch = figures.lines[4]  # 2 × 18000 with 5 % off, INC 8 %
    assert (lunch.discount_percent, lunch.discount_amount, lunch.line_extension_amount) == (
        Decimal("5"),
        Decimal("1800.00"),
        Decimal("34200.00"),
    )
    assert lunch.taxes == (LineTax("INC", Decimal("8.00"), Decimal("34200.00"), Decimal("2736.00")),)
    assert figures.lines[-1].taxes == ()
    assert figures.tax_totals[1] == TaxTotal(
        "INC", Decimal("2736.00"), (totals_mod_subtotal("8.00", "34200.00", "2736.00"),)
    )
    assert figures.totals.line_extension == Decimal("380950.00")
    assert figures.totals.tax_exclusive == Decimal("290950.00")
    assert figures.totals.tax_inclusive == figures.totals.payable == Decimal("411896.50")
    assert (figures.totals.allowance_total, figures.totals.charge_total, figures.totals.prepaid) == (0, 0, 0)


def totals_mod_subtotal(rate: str, taxable: str, tax: str):
    from nitida.einvoicing.documents import TaxSubtotal

    return TaxSubtotal(Decimal(rate), Decimal(taxable), Decimal(tax))


def test_from_totals_with_only_inc_or_no_taxes():
    only_inc = [line("Almuerzo", "1", "10000.00", taxes=(("INC", "8"),))]
    lines = [ln for ln, _ in only_inc]
    figures = from_totals(lines, [t for _, t in only_inc], totals_mod.compute(lines))
    assert [t.tax_type for t in figures.tax_totals] == ["INC"]
    assert figures.tax_totals[0].tax_amount == Decimal("800.00")
    untaxed = [ln for ln, _ in (line("Asesoría", "2", "50.00"),)]
    none = from_totals(untaxed, [LineText("Asesoría")], totals_mod.compute(untaxed))
    assert none.tax_totals == () and str(none.totals.tax_exclusive) == "0.00"


@pytest.mark.parametrize("texts", [0, 2])
def test_from_totals_refuses_each_mismatch(texts):
    lines = [ln for ln, _ in MIXED_LINES[:1]]
    computed = totals_mod.compute(lines)
    with pytest.raises(ValueError, match="^lines, texts and computed totals must have the same length$"):
        from_totals(lines, [LineText("x")] * texts, computed)
    with pytest.raises(ValueError, match="same length"):
        from_totals(lines, [LineText("x")], dataclasses.replace(computed, lines=computed.lines * 2))


def test_the_buyers_person_type_is_known_never_guessed_from_a_nit():
    # Issue 25: a NIT with no person type went out as a persona jurídica, natural persons with a RUT included.
    from nitida.einvoicing.documents import person_type_of

    assert person_type_of("31", None) is None and person_type_of("50", None) is None
    assert person_type_of("42", None) is None  # a foreign document: a person or a company
    assert person_type_of("31", "NATURAL") is PersonType.NATURAL
    assert person_type_of("31", None, "Jorge Iván Restrepo") is None
    assert person_type_of("31", None, "Sasaki Restrepo Silva") is None  # "S.A." must be a legal form, not letters
    for company in ("Ferretería El Dorado S.A.S.", "Distribuciones Andinas SAS", "Inversiones Cruz Ltda.",
                    "Almacén La 14 S.A.", "Gómez & Cía.", "Acme Inc.", "Transportes Ruiz S. en C."):  # fmt: skip
        assert person_type_of("31", None, company) is PersonType.JURIDICA, company
    assert person_type_of("13", None, "Tienda Ruiz S.A.S.") is PersonType.NATURAL  # the document wins
    for only_a_person in ("11", "12", "13", "21", "22", "41", "47", "48", "91"):
        assert person_type_of(only_a_person, None) is PersonType.NATURAL
    unknown = dataclasses.replace(CUSTOMER_COMPANY, person_type=None)
    assert problems(dataclasses.replace(make_document(), customer=unknown)) == [
        "customer person type (tipoPersona: NATURAL or JURIDICA) is missing"
    ]
    company_with_a_cedula = dataclasses.replace(CUSTOMER_COMPANY, id_type="13", dv=None)
    assert problems(dataclasses.replace(make_document(), customer=company_with_a_cedula)) == [
        "customer is a persona jurídica but identification type '13' is a natural person's"
    ]


def test_old_records_with_codes_off_the_dians_lists_are_named_at_issue():
    # Issue 25: what was stored before the lists were checked is refused when a document is built from it.
    issuer = dataclasses.replace(ISSUER, actividad_economica=("0000", "4761"))
    customer = dataclasses.replace(CUSTOMER_COMPANY, postal_code="110231")  # Bogotá's, for a Medellín address
    assert problems(dataclasses.replace(make_document(), supplier=issuer, customer=customer)) == [
        "issuer economic activity '0000' is not a CIIU code of the DIAN's list",
        "customer postal code 110231 is not of the department of Medellín (Antioquia, 05): its first two digits "
        "are its department's",
    ]
    unknown = dataclasses.replace(CUSTOMER_COMPANY, postal_code="999999")
    assert problems(dataclasses.replace(make_document(), customer=unknown)) == [
        "customer postal code 999999 is not in the DIAN's list of postal codes"
    ]


def test_an_issuer_not_responsible_for_iva_cannot_charge_it():
    # Issue 25: the issuer's régimen and the taxes on its documents must agree.
    not_responsible = dataclasses.replace(ISSUER, tributo="ZZ", responsabilidades=("R-99-PN",))
    doc = dataclasses.replace(make_document(), supplier=not_responsible)
    assert problems(doc) == [
        "the issuer is not responsible for IVA (tributo ZZ: No aplica) and cannot charge it: line 1, 2, 3, 4"
    ]
    inc_only = dataclasses.replace(ISSUER, tributo="04")
    excluded_and_inc = (MIXED_LINES[4], MIXED_LINES[5])
    assert problems(make_document(lines=excluded_and_inc)) == []
    assert problems(dataclasses.replace(make_document(lines=excluded_and_inc), supplier=inc_only)) == []
    # R-99-PN (no aplica) beside a real responsibility is a contradiction
    both = dataclasses.replace(CUSTOMER_COMPANY, responsabilidades=("R-99-PN", "O-13"))
    assert problems(dataclasses.replace(make_document(), customer=both)) == [
        "customer responsabilidad R-99-PN (no aplica) cannot go with others"
    ]
