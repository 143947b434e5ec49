"""Tests for the Colombian demo/benchmark data generator (pure Python, no DB)."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pytest
from stdnum.co import nit as co_nit

from nitida.demo.colombian_data import (
    FIRST_NAMES,
    SURNAMES,
    TIPOS_DOCUMENTO,
    FakeCustomer,
    demo_customers,
    generate_customers,
)

DIGIT_TYPES = {"NIT", "CC", "CE", "TI", "PPT"}
ALNUM_TYPES = {"PASAPORTE", "NIT_EXTRANJERO"}
EMAIL_RE = re.compile(r"^[a-z0-9._]+@[a-z0-9]+(\.[a-z]+)+$")
PHONE_RE = re.compile(r"^\+57 (60[1-8] [2-8]\d{6}|3\d\d \d{7})$")
ADDRESS_RE = re.compile(r"^(Calle|Carrera|Transversal|Diagonal|Avenida|Circular) .* # \d+[A-Z]?( ?Bis)?-\d\d\b")


@lru_cache(maxsize=None)
def sample(count: int, seed: int = 0) -> tuple[FakeCustomer, ...]:
    """Generated once per (count, seed) and shared by the tests (read-only tuple)."""
    return tuple(generate_customers(count, seed))


def test_deterministic_for_a_seed() -> None:
    first = list(generate_customers(2_000, seed=7))
    assert first == list(generate_customers(2_000, seed=7))
    assert first != list(generate_customers(2_000, seed=8))
    # A prefix of a longer run is the shorter run: generation is streamed.
    assert list(generate_customers(500, seed=7)) == first[:500]


def test_nits_unique_within_one_call() -> None:
    customers = sample(50_000)
    assert len(customers) == 50_000
    assert len({c.nit for c in customers}) == 50_000


def test_unique_within_is_respected_and_updated() -> None:
    taken = {c.nit for c in generate_customers(1_000, seed=1)}
    before = set(taken)
    again = list(generate_customers(1_000, seed=1, unique_within=taken))
    assert not {c.nit for c in again} & before
    assert taken == before | {c.nit for c in again}


def test_every_nit_is_valid_with_its_check_digit() -> None:
    nits = [c.nit for c in sample(50_000) if c.tipo_documento == "NIT"]
    assert len(nits) > 30_000
    for number in nits:
        assert number.isdigit(), number
        assert co_nit.is_valid(number + co_nit.calc_check_digit(number)), number
    # Companies: 9 digits starting with 8 or 9; the rest are personas naturales (cédula).
    company_like = sum(len(n) == 9 and n[0] in "89" for n in nits)
    assert company_like / len(nits) > 0.85


def test_number_formats_per_document_type() -> None:
    for c in sample(50_000):
        assert c.tipo_documento in TIPOS_DOCUMENTO
        if c.tipo_documento in DIGIT_TYPES:
            assert c.nit.isdigit() and c.nit[0] != "0", c
        else:
            assert c.tipo_documento in ALNUM_TYPES
            assert re.fullmatch(r"[A-Z0-9]+", c.nit), c
        if c.tipo_documento == "CC":
            assert 6 <= len(c.nit) <= 10, c


def test_document_type_mix() -> None:
    customers = sample(50_000)
    share = {k: v / len(customers) for k, v in Counter(c.tipo_documento for c in customers).items()}
    assert 0.65 < share["NIT"] < 0.76
    assert 0.16 < share["CC"] < 0.25
    assert set(share) == set(TIPOS_DOCUMENTO)  # rare types do appear
    for rare in ("CE", "PASAPORTE", "TI", "NIT_EXTRANJERO", "PPT"):
        assert share[rare] < 0.05


def test_names_are_varied() -> None:
    assert len(set(FIRST_NAMES)) >= 150
    assert len(set(SURNAMES)) >= 150
    customers = sample(200_000)
    distinct = len({c.razon_social for c in customers})
    assert distinct / len(customers) > 0.5


def test_names_have_accents_and_enie() -> None:
    names = [c.razon_social for c in sample(50_000)]
    assert sum(not n.isascii() for n in names) / len(names) > 0.4
    assert sum("ñ" in n or "Ñ" in n for n in names) / len(names) > 0.05
    initials = {n[0] for n in names}
    assert {"Á", "Ó", "Ú", "É"} <= initials
    assert any(n.startswith("Ángela") for n in names)
    assert any("Peñalosa" in n for n in names)


def test_contact_fields_are_plausible() -> None:
    customers = sample(50_000)
    emails = [c.email for c in customers]
    assert 0.10 < emails.count(None) / len(emails) < 0.20
    for c in customers:
        if c.email is not None:
            assert c.email.isascii() and EMAIL_RE.match(c.email), c.email
        if c.telefono is not None:
            assert PHONE_RE.match(c.telefono), c.telefono
        if c.direccion is not None:
            assert ADDRESS_RE.match(c.direccion), c.direccion


def test_field_lengths_fit_the_schema() -> None:
    for c in sample(50_000):
        assert 0 < len(c.razon_social) <= 450
        assert 0 < len(c.nit) <= 20
        assert c.email is None or len(c.email) <= 254
        assert c.telefono is None or len(c.telefono) <= 50
        assert c.direccion is None or len(c.direccion) <= 300


def test_customers_are_frozen() -> None:
    c = sample(1)[0]
    with pytest.raises(AttributeError):
        c.nit = "1"  # type: ignore[misc]


def test_count_edge_cases() -> None:
    assert list(generate_customers(0)) == []
    with pytest.raises(ValueError):
        generate_customers(-1)  # validated eagerly, not on first next()


def test_demo_customers() -> None:
    demo = demo_customers()
    assert demo == demo_customers()  # fixed seed
    assert 30 <= len(demo) <= 40
    assert len({c.nit for c in demo}) == len(demo)
    by_name = {c.razon_social: c for c in demo}
    papeleria = by_name["Papelería Nítida S.A.S."]
    assert (papeleria.tipo_documento, papeleria.nit) == ("NIT", "900123456")
    colegio = by_name["Colegio Los Andes S.A.S."]
    assert (colegio.tipo_documento, colegio.nit) == ("NIT", "800197268")
    assert any("Peñalosa" in c.razon_social for c in demo)
    for c in demo:
        if c.tipo_documento == "NIT":
            assert co_nit.is_valid(c.nit + co_nit.calc_check_digit(c.nit))
        assert c.email is None or EMAIL_RE.match(c.email)
        assert c.telefono is None or PHONE_RE.match(c.telefono)
