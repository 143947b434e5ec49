"""The DIAN code lists we ship, compared with the DIAN's own genericode files in ../shared."""

from __future__ import annotations

import tomllib

from lxml import etree

from fixtures.einvoicing import REPO_ROOT, shared_dian
from nitida.invoices.models import PaymentMethod
from nitida.vocabulary import codelists

GC = {"gc": "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"}


def dian_list(name: str) -> dict[str, str]:
    """code -> name of a DIAN genericode list (names with their whitespace collapsed)."""
    root = etree.parse(str(shared_dian() / "codelists" / f"{name}-2.1.gc")).getroot()
    out = {}
    for row in root.iter("Row"):
        values = {v.get("ColumnRef"): v.findtext("SimpleValue") for v in row.iter("Value")}
        out[values["code"].strip()] = " ".join(values["name"].split())
    return out


def test_municipios_file_equals_the_dian_list():
    dian = dian_list("Municipio")
    ours = {m.code: m.name for m in codelists.all_municipios()}
    assert len(ours) == len(dian) == 1122
    assert ours == dian


def test_departments_equal_the_dian_list_and_prefix_each_municipality():
    assert codelists.departamentos() == dian_list("Departamentos")
    for m in codelists.all_municipios():
        assert m.code[:2] == m.departamento_code


def test_municipio_lookup():
    bogota = codelists.municipio("11001")
    assert bogota is not None and bogota.departamento_code == "11" and bogota.departamento == "Bogotá"
    medellin = codelists.municipio("05001")
    assert (medellin.name, medellin.departamento) == ("Medellín", "Antioquia")
    assert codelists.municipio("99999") is None
    assert codelists.municipio("") is None


def test_search_is_accent_and_case_insensitive():
    assert [m.code for m in codelists.search_municipios("MEDELLIN")] == ["05001"]
    names = [m.name for m in codelists.search_municipios("bogota")]
    assert names[0].startswith("Bogotá")
    # names starting with the query come first
    assert codelists.search_municipios("cali")[0].code == "76001"
    # words may match the department too
    assert all(m.departamento == "Boyacá" for m in codelists.search_municipios("san boyaca"))
    assert codelists.search_municipios("   ") == []
    assert len(codelists.search_municipios("a", limit=5)) == 5


def test_the_municipios_file_names_its_source_and_ships_as_package_data():
    data = REPO_ROOT / "src" / "nitida" / "vocabulary" / "data" / "municipios.csv"
    assert data.read_text(encoding="utf-8").startswith("# DANE DIVIPOLA")
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "vocabulary/data/*.csv" in pyproject["tool"]["setuptools"]["package-data"]["nitida"]


def test_every_payment_method_maps_to_a_dian_payment_means_code():
    dian = dian_list("MediosPago")
    assert set(codelists.PAYMENT_MEANS_BY_METHOD) == {m.value for m in PaymentMethod}
    for code in codelists.PAYMENT_MEANS_BY_METHOD.values():
        assert code in dian and code in codelists.PAYMENT_MEANS
    for code in codelists.PAYMENT_MEANS:
        assert code in dian


def test_payment_forms_equal_the_dian_list():
    assert codelists.PAYMENT_FORMS == dian_list("FormasPago")


def test_note_concepts_equal_the_dian_lists():
    # The kit's 2019 list is 1-5 ending in "Otros"; Anexo 1.9 (which wins, issue 25) has no "otros": its 5 is
    # a prompt-payment discount and it adds 6. Codes 1-4 keep the 2019 names.
    kit = dian_list("ConceptoNotaCredito")
    assert set(kit) == {"1", "2", "3", "4", "5"} and kit["5"] == "Otros"
    assert set(codelists.CREDIT_NOTE_CONCEPTS) == {"1", "2", "3", "4", "5", "6"}
    assert "Otros" not in codelists.CREDIT_NOTE_CONCEPTS.values()
    assert codelists.CREDIT_NOTE_CONCEPTS["5"] == "Descuento comercial por pronto pago"
    assert codelists.CREDIT_NOTE_CONCEPTS["6"] == "Descuento comercial por volumen de ventas"
    assert codelists.DEBIT_NOTE_CONCEPTS == dian_list("ConceptoNotaDebito")
    assert codelists.CREDIT_NOTE_CONCEPTS["2"] == kit["2"]


def test_identification_types_cover_the_dian_list_plus_pep_ppt_and_43():
    dian = dian_list("TipoIdFiscal")
    assert set(dian) <= set(codelists.IDENTIFICATION_TYPES)
    # added by Resolución 000165 de 2023 after the 2019 list; 43 "sin identificación del exterior" (issue 25)
    assert set(codelists.IDENTIFICATION_TYPES) - set(dian) == {"43", "47", "48"}


def test_countries_and_currencies_are_the_dians_lists():
    assert codelists.countries() == dian_list("Paises")
    assert codelists.currencies() == dian_list("TipoMoneda")
    assert (codelists.countries()["US"], codelists.currencies()["USD"]) == ("Estados Unidos", "Dólar estadounidense")


def test_responsabilidades_are_the_dian_ones():
    dian = dian_list("TipoResponsabilidad")
    assert set(dian) | {"R-99-PN"} == set(codelists.RESPONSABILIDADES)


def test_tax_schemes_are_dian_tax_codes():
    dian = dian_list("TipoImpuesto")
    for scheme_id, name in codelists.TAX_SCHEMES.values():
        assert dian[scheme_id] == name
    assert {"01", "04", "ZZ"} <= set(dian)
    assert set(codelists.TRIBUTOS) == {"01", "04", "ZA", "ZZ"}


def test_unit_codes_are_in_the_dian_list():
    dian = dian_list("UnidadesMedida")
    for code in codelists.UNIT_CODES:
        assert code in dian, code
    assert dian[codelists.DEFAULT_UNIT_CODE] == "unidad"


def test_customization_ids_are_dian_operation_types():
    assert codelists.CUSTOMIZATION_INVOICE in dian_list("TipoOperacionF")
    assert codelists.CUSTOMIZATION_CREDIT_NOTE in dian_list("TipoOperacionNC")


def test_ciiu_and_postal_codes_are_the_dians_lists():
    # Issue 25: checked by shape only, "0000" and "999999" passed. The package's lists are the DIAN's.
    import re

    kit = shared_dian()
    postal = set(
        re.findall(r"<SimpleValue>(\d{6})</SimpleValue>", (kit / "codelists" / "CodigoPostal1.gc").read_text())
    )
    assert postal <= codelists.postal_codes() and len(codelists.postal_codes() - postal) == 2  # FAJ73 adds two
    assert {"110231", "050021", "760001"} <= codelists.postal_codes()
    assert "999999" not in codelists.postal_codes() and "000000" not in codelists.postal_codes()
    assert len(codelists.ciiu_codes()) == 495 and {"4761", "4690", "6201", "0111"} <= codelists.ciiu_codes()
    assert "0000" not in codelists.ciiu_codes() and "9999" not in codelists.ciiu_codes()
    xsl = (kit / "rules" / "DIAN-UBL21-model-compiled.xsl").read_text(encoding="utf-8")
    for code in codelists.ciiu_codes():
        assert f"&#x7f;{code}&#x7f;" in xsl
    assert codelists.postal_code_problem("110231", "11001") is None
    assert codelists.postal_code_problem("050021", "11001") == (
        "postal code 050021 is not of the department of Bogotá, D.c. (Bogotá, 11): its first two digits are its "
        "department's"
    )
