"""The DIAN rules oracle itself (tests/fixtures/dian_rules.py): it runs, it reads the DIAN's messages
right, it catches what the DIAN would flag, and its two in-memory corrections work.

Documents are edited after building and then re-signed: the rules, not the signature, must catch them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from fixtures import dian_rules
from fixtures.conformance import NS
from fixtures.einvoicing import demo_certificate, line, make_document, shared_dian
from nitida.einvoicing import signing, ubl


def signed(root: etree._Element) -> bytes:
    return signing.sign(root, demo_certificate())


def built(**kwargs) -> etree._Element:
    return etree.fromstring(ubl.to_bytes(ubl.build(make_document(**kwargs))))


def rules_of(xml: bytes) -> set[str]:
    return {m.rule for m in dian_rules.dian_messages(xml)}


def test_messages_are_read_as_rule_severity_and_the_dians_words():
    parse = dian_rules.parse_message
    assert parse("Fatal: [FAS07]- (R) El valor del tributo 19 es diferente : 20 ") == dian_rules.RuleMessage(
        "FAS07", "R", "El valor del tributo 19 es diferente : 20"
    )
    assert parse("Warning: [FAV06]- 'Linea : 2'- (N) Valor total de la línea") == dian_rules.RuleMessage(
        "FAV06", "N", "Linea : 2: Valor total de la línea"
    )
    # no (R)/(N): the level says it
    assert parse("Fatal: [FAJ27]- TaxLevelCode '48' no indica un valor autorizado").severity == "R"
    assert parse("Warning:La regla UBL [IND5] indica que un elemento no puede estar vacío de contenido.") == (
        dian_rules.RuleMessage(
            "IND5", "N", "La regla UBL [IND5] indica que un elemento no puede estar vacío de contenido."
        )
    )
    assert str(parse("Fatal:[FAU02]- (R) Valor bruto total")) == "[FAU02] (R) Valor bruto total"


def test_the_dians_own_sample_is_flagged_where_its_nit_was_edited():
    # The kit's README: the samples' supplier NIT was edited after the fact, so its check digit is wrong.
    messages = dian_rules.dian_messages((shared_dian() / "samples" / "Generica.xml").read_bytes())
    faj44 = [m for m in messages if m.rule == "FAJ44"]
    assert faj44 == [
        dian_rules.RuleMessage("FAJ44", "R", "DV del NIT del emisor : '9' no está correctamente calculado : '4'")
    ]


def test_a_tax_amount_off_by_a_peso_is_FAS07_with_the_dians_message():
    root = built(lines=(line("Resma papel carta", "10", "11900.00", taxes=(("IVA", "19"),)),))
    for path in ("cac:TaxTotal/cbc:TaxAmount", "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount"):
        node = root.find(path, NS)
        node.text = f"{Decimal(node.text) + 1:.2f}"
    messages = dian_rules.dian_messages(signed(root))
    fas07 = [m for m in messages if m.rule == "FAS07"]
    assert fas07 and fas07[0].severity == "R"
    assert "es diferente del producto del porcentaje aplicado sobre la base imponible" in fas07[0].message
    with pytest.raises(AssertionError) as failure:
        dian_rules.assert_dian_accepts(signed(root), what="invoice SETP990000101")
    text = str(failure.value)
    assert text.startswith("invoice SETP990000101: the DIAN's rules flag the document")
    assert "[FAS07] (R) El valor del tributo correspondiente a una de las tarifas" in text


def test_the_FAV06_typo_is_corrected_in_memory():
    # A discounted line whose Price × BaseQuantity − discount is not its amount: FAV06, which the kit's
    # file can never report as shipped (its test reads cbc:ChargeIndiator).
    root = built(lines=(line("Cuaderno", "3", "8500.00", discount="10", taxes=(("IVA", "19"),)),))
    root.find("cac:InvoiceLine/cac:Price/cbc:BaseQuantity", NS).text = "7"
    assert "FAV06" in rules_of(signed(root))
    source = (shared_dian() / "rules" / dian_rules.STYLESHEET).read_text(encoding="utf-8")
    assert "cbc:ChargeIndiator" in source  # the kit is untouched: the correction is the harness's


def test_the_reception_moment_is_the_documents_issue_moment():
    # FAD09c: at most 5 days between issue and reception. The harness receives a document when it was
    # issued, so a test document of a fixed date does not start failing as the calendar moves on…
    xml = signed(built())  # issued 2026-11-25T09:30:15-05:00
    assert "FAD09c" not in rules_of(xml)
    # …and the rule still runs against the reception moment it is given.
    late = dian_rules.dian_messages(xml, received_at="2026-12-01T09:30:16-05:00")
    assert [m.rule for m in late if m.rule.startswith("FAD09")] == ["FAD09c"]
    early = dian_rules.dian_messages(xml, received_at="2026-11-14T09:30:14-05:00")
    assert [m.rule for m in early if m.rule.startswith("FAD09")] == ["FAD09d"]
    oracle = dian_rules.oracle()
    assert oracle is dian_rules.oracle()  # compiled once per session


def test_stale_rules_are_allowed_by_id_and_nothing_else():
    root = built()
    root.find("cbc:ProfileID", NS).text = "DIAN 2.1: Factura Electrónica de Venta"
    xml = signed(root)
    hits = dian_rules.dian_messages(xml)
    assert "FAD03" in {m.rule for m in hits}  # 1.9's ProfileID, refused by the v1.8 rule
    assert "FAD03" not in {m.rule for m in dian_rules.unexpected(hits)}
    assert set(dian_rules.STALE_RULES) == {
        "FAD03", "CAD03", "DAD03", "FAJ27", "CAJ27", "DAJ27", "FAJ26", "CAJ26", "DAJ26",
        "CAD02", "DAD02", "CAB03", "DAB03",
    }  # fmt: skip
    with pytest.raises(AssertionError, match=r"\[FAD03\]"):
        dian_rules.assert_dian_accepts(xml, allowed=set())
