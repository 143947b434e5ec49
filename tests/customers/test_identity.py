"""Document numbers and Spanish text keys (pure functions, no database)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.co import nit as stdnum_nit

from nitida.core.text import fold, spanish_sort_key
from nitida.vocabulary.identity import DIAN_CODES, Identity, InvalidIdentity, TipoDocumento, normalise

nit_numbers = st.text(alphabet="0123456789", min_size=7, max_size=15).filter(lambda s: s[0] != "0")


def _dotted(number: str) -> str:
    groups: list[str] = []
    while number:
        groups.insert(0, number[-3:])
        number = number[:-3]
    return ".".join(groups)


@settings(deadline=None)  # pure and fast; a loaded machine must not make it fail
@given(nit_numbers)
def test_every_written_form_of_a_nit_is_the_same_number(number):
    dv = stdnum_nit.calc_check_digit(number)
    with_dv = [f"{number}-{dv}", f"{_dotted(number)}-{dv}", f" {_dotted(number)} - {dv} ", f"0{number}-{dv}"]
    for form in with_dv:
        identity = normalise(TipoDocumento.NIT, form)
        assert (identity.number, identity.dv) == (number, dv)
    # Without a hyphen, a 10-digit 8xx/9xx number ending in the check digit of its first nine
    # is that 9-digit NIT with its DV glued on (README); every other number is read whole.
    glued = len(number) == 10 and number[0] in "89" and stdnum_nit.calc_check_digit(number[:9]) == number[9]
    expected = (number[:9], number[9]) if glued else (number, dv)
    for form in (number, _dotted(number), f"00{number}"):
        identity = normalise(TipoDocumento.NIT, form)
        assert (identity.number, identity.dv) == expected
    assert stdnum_nit.is_valid(number + dv)


@settings(deadline=None)  # pure and fast; a loaded machine must not make it fail
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


_FORM = "a NIT is digits 0-9, optionally grouped with dots and followed by '-' and its check digit (e.g. 900.123.456-8)"
_LENGTH = "a NIT has between 7 and 15 digits before its check digit"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", _FORM),
        ("   ", _FORM),
        (".900373914", _FORM),  # must start with a digit
        ("900,123,456", _FORM),
        ("90O123456", _FORM),
        ("900123456-", _FORM),
        ("900123456-89", _FORM),
        ("٩٠٠١٢٣٤٥٦", _FORM),  # Arabic-Indic digits stay non-ASCII after NFKC
        ("12", _LENGTH),
        ("123456", _LENGTH),
        ("9001234567890123", _LENGTH),
        ("0000000", "is not a valid NIT"),
        ("000", "is not a valid NIT"),
    ],
)
def test_malformed_nits_are_refused(raw, message):
    with pytest.raises(InvalidIdentity, match="^" + re.escape(message)):
        normalise(TipoDocumento.NIT, raw)


def test_nit_length_boundaries():
    assert normalise(TipoDocumento.NIT, "1234567").number == "1234567"
    assert normalise(TipoDocumento.NIT, "123456789012345").number == "123456789012345"


@pytest.mark.parametrize(
    "raw",
    ["900373914", "９００３７３９１４", "９00373914", "0900373914", "00900373914", "9003739141", "900.373.914-1"],
)
def test_one_taxpayer_has_one_number_however_it_is_typed(raw):
    # Issue 13 item 2: full-width digits, leading zeros and a glued check digit are the same NIT.
    assert normalise(TipoDocumento.NIT, raw) == Identity(TipoDocumento.NIT, "900373914", "1")


def test_a_ten_digit_number_is_split_only_when_its_last_digit_is_the_check_digit():
    # 900373914 has check digit 1: "9003739142" is a 10-digit NIT of its own, not 900373914 with a wrong DV.
    assert normalise(TipoDocumento.NIT, "9003739142").number == "9003739142"
    # A 10-digit cédula used as NIT starts with 1 and is never split, whatever its last digit.
    assert stdnum_nit.calc_check_digit("100000001") == "0"  # so "1000000010" would split under a looser rule
    for number in ("1020304050", "1000000010"):
        assert normalise(TipoDocumento.NIT, number).number == number
    # 11 digits never carry a glued DV: "90037391410" is that number.
    assert normalise(TipoDocumento.NIT, "90037391410").number == "90037391410"
    # An explicit DV is checked against the whole number typed before it.
    with pytest.raises(InvalidIdentity, match="of NIT 9003739141 is 2, not 1"):
        normalise(TipoDocumento.NIT, "9003739141-1")
    # 8xx series too.
    assert normalise(TipoDocumento.NIT, "8001972684").number == "800197268"


def test_other_documents_are_normalised():
    assert normalise(TipoDocumento.CC, "1.020.304.050") == Identity(TipoDocumento.CC, "1020304050", None)
    assert normalise(TipoDocumento.CC, "1 020 304 050").dv is None
    assert normalise(TipoDocumento.PASAPORTE, "ab 123-456").number == "AB123456"
    assert normalise(TipoDocumento.NIT_EXTRANJERO, "us-12.345x").number == "US12345X"
    for numeric in (TipoDocumento.CC, TipoDocumento.TI, TipoDocumento.RC, TipoDocumento.NUIP, TipoDocumento.CE):
        with pytest.raises(InvalidIdentity, match=f"^a {numeric.value} number has digits only$"):
            normalise(numeric, "AB123")
        assert normalise(numeric, "0012345").number == "12345"  # leading zeros are not part of the number
        with pytest.raises(InvalidIdentity, match="^must not be zero$"):
            normalise(numeric, "000")
    for alphanumeric in (TipoDocumento.PASAPORTE, TipoDocumento.PEP, TipoDocumento.PPT, TipoDocumento.DIE):
        assert normalise(alphanumeric, "00AB1").number == "00AB1"  # a passport's zeros are its own
    for bad in ("AB#123", "ÑA123", "AB１２３٣"):
        with pytest.raises(InvalidIdentity, match="^may contain only letters A-Z and digits 0-9"):
            normalise(TipoDocumento.PASAPORTE, bad)
    assert normalise(TipoDocumento.CC, "１２３４５６７").number == "1234567"  # NFKC: full-width is ASCII
    with pytest.raises(InvalidIdentity, match="^may contain only"):
        normalise(TipoDocumento.CC, "١٢٣٤٥٦٧")


@pytest.mark.parametrize("tipo", [t for t in TipoDocumento if t is not TipoDocumento.NIT])
def test_other_documents_have_at_most_20_characters(tipo):
    assert normalise(tipo, "1" * 20).number == "1" * 20
    assert normalise(tipo, "1.2" * 10).number == "12" * 10  # separators do not count
    with pytest.raises(InvalidIdentity, match="^must have at most 20 characters$"):
        normalise(tipo, "1" * 21)
    for blank in ("", " .- "):
        with pytest.raises(InvalidIdentity, match="^must not be blank$"):
            normalise(tipo, blank)


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
        "SIN_ID_EXTERIOR": "43",
    }
    assert set(DIAN_CODES) == set(TipoDocumento)


def test_fold_ignores_case_and_accents():
    assert fold("Papelería NÍTIDA Peñalosa") == "papeleria nitida penalosa"
    assert fold("Pen\u0303alosa ＡＢ") == "penalosa ab"  # decomposed ñ, full-width letters


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


def test_n_with_tilde_is_its_own_letter_after_n_however_it_is_encoded():
    composed, decomposed = "Peña", "Pen\u0303a"
    assert spanish_sort_key(composed) == spanish_sort_key(decomposed) == spanish_sort_key("PEÑA")
    # After every n…, even "nz": Penzón, then Peña (a key mapping ñ to "nz" would put Peña first).
    names = ["Peña", "Penzón", decomposed, "Peo", "Penz"]
    assert sorted(names, key=spanish_sort_key) == ["Penz", "Penzón", "Peña", decomposed, "Peo"]
    assert spanish_sort_key("Penzón") < spanish_sort_key("Peña") < spanish_sort_key("Peo")
    assert spanish_sort_key("Ñandú") == "n~andu"


@settings(deadline=None)  # pure and fast; a loaded machine must not make it fail
@given(st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúü ", max_size=20))
def test_sort_key_ignores_case_and_accents(text):
    assert spanish_sort_key(text.upper()) == spanish_sort_key(text)
    plain = text.translate(str.maketrans("áéíóúü", "aeiouu"))
    assert spanish_sort_key(plain) == spanish_sort_key(text)
