"""Document numbers and Spanish text keys (pure functions, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.co import nit as stdnum_nit

from nitida.core.text import fold, spanish_sort_key
from nitida.customers.identity import DIAN_CODES, InvalidIdentity, TipoDocumento, normalise

nit_numbers = st.text(alphabet="0123456789", min_size=7, max_size=15).filter(lambda s: s[0] != "0")


def _dotted(number: str) -> str:
    groups = []
    while number:
        groups.insert(0, number[-3:])
        number = number[:-3]
    return ".".join(groups)


@given(nit_numbers)
def test_every_written_form_of_a_nit_is_the_same_number(number):
    dv = stdnum_nit.calc_check_digit(number)
    forms = [number, _dotted(number), f"{number}-{dv}", f"{_dotted(number)}-{dv}", f" {_dotted(number)} - {dv} "]
    for form in forms:
        identity = normalise(TipoDocumento.NIT, form)
        assert (identity.number, identity.dv) == (number, dv)
    assert stdnum_nit.is_valid(number + dv)


@given(nit_numbers, st.integers(min_value=1, max_value=9))
def test_a_wrong_check_digit_is_refused_naming_the_right_one(number, shift):
    dv = stdnum_nit.calc_check_digit(number)
    wrong = str((int(dv) + shift) % 10)
    with pytest.raises(InvalidIdentity, match=f"is {dv}, not {wrong}"):
        normalise(TipoDocumento.NIT, f"{number}-{wrong}")


def test_real_nits():
    assert normalise(TipoDocumento.NIT, "800.197.268-4").dv == "4"
    assert normalise(TipoDocumento.NIT, "900.123.456-8").number == "900123456"
    with pytest.raises(InvalidIdentity):
        normalise(TipoDocumento.NIT, "800.197.268-5")


@pytest.mark.parametrize(
    "raw", ["", "   ", "12", "9001234567890123", "900,123,456", "90O123456", "900123456-", "900123456-89"]
)
def test_malformed_nits_are_refused(raw):
    with pytest.raises(InvalidIdentity):
        normalise(TipoDocumento.NIT, raw)


def test_other_documents_are_normalised():
    assert normalise(TipoDocumento.CC, "1.020.304.050").number == "1020304050"
    assert normalise(TipoDocumento.CC, "1 020 304 050").dv is None
    assert normalise(TipoDocumento.PASAPORTE, "ab 123-456").number == "AB123456"
    assert normalise(TipoDocumento.NIT_EXTRANJERO, "us-12.345x").number == "US12345X"
    for numeric in (TipoDocumento.CC, TipoDocumento.TI, TipoDocumento.RC, TipoDocumento.NUIP, TipoDocumento.CE):
        with pytest.raises(InvalidIdentity, match="digits only"):
            normalise(numeric, "AB123")
    with pytest.raises(InvalidIdentity):
        normalise(TipoDocumento.PASAPORTE, "AB#123")


def test_dian_codes():
    assert {t.value: t.codigo for t in TipoDocumento} == {
        "RC": "11",
        "TI": "12",
        "CC": "13",
        "TE": "21",
        "CE": "22",
        "NIT": "31",
        "PASAPORTE": "41",
        "DIE": "42",
        "PEP": "47",
        "PPT": "48",
        "NIT_EXTRANJERO": "50",
        "NUIP": "91",
    }
    assert set(DIAN_CODES) == set(TipoDocumento)


def test_fold_ignores_case_and_accents():
    assert fold("Papelería NÍTIDA Peñalosa") == "papeleria nitida penalosa"


def test_spanish_order():
    names = ["Zapata", "Beltrán", "alba", "Álvarez", "Peña", "Penz", "Peo", "Ñandú", "Nuñez", "Oso", "ÉPOCA", "Eco"]
    assert sorted(names, key=spanish_sort_key) == [
        "alba",
        "Álvarez",
        "Beltrán",
        "Eco",
        "ÉPOCA",
        "Nuñez",
        "Ñandú",
        "Oso",
        "Penz",
        "Peña",
        "Peo",
        "Zapata",
    ]


@given(st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúü ", max_size=20))
def test_sort_key_ignores_case_and_accents(text):
    assert spanish_sort_key(text.upper()) == spanish_sort_key(text)
    plain = text.translate(str.maketrans("áéíóúü", "aeiouu"))
    assert spanish_sort_key(plain) == spanish_sort_key(text)
