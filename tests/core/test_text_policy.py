"""One text policy for every field (issue 13 item 9): core.text_policy, applied by ApiInput to every string."""

from __future__ import annotations

import json
import sys

import pytest
from pydantic import ValidationError

from fixtures.common import assert_problem, random_nit
from nitida.core.money import to_decimal
from nitida.core.schemas import ApiInput, FreeText
from nitida.core.text_policy import FORBIDDEN, check_text, forbidden_kind
from nitida.users.models import Role

REFUSED = [
    ("\x00", "control characters"),
    ("\x08", "control characters"),
    ("\x0b", "control characters"),
    ("\x0c", "control characters"),
    ("\x0e", "control characters"),
    ("\x1f", "control characters"),
    ("\x7f", "control characters"),
    ("\x80", "control characters"),
    ("\x85", "control characters"),  # NEL, a C1 line break
    ("\x9f", "control characters"),
    ("\u202a", "bidirectional override characters"),
    ("\u202e", "bidirectional override characters"),  # RIGHT-TO-LEFT OVERRIDE
    ("\u2066", "bidirectional override characters"),
    ("\u2069", "bidirectional override characters"),
    ("\u2028", "line or paragraph separators"),
    ("\u2029", "line or paragraph separators"),
    ("\ufdd0", "non-characters"),
    ("\ufdef", "non-characters"),
    ("\ufffe", "non-characters"),
    ("\uffff", "non-characters"),
    ("\U0001fffe", "non-characters"),
    ("\U0010ffff", "non-characters"),
    ("\ud800", "unpaired surrogates"),
    ("\udfff", "unpaired surrogates"),
]
KEPT = ["\t", "\n", "\r", " ", "~", "\xa0", "ñ", "É", "\u200e", "\u202f", "\u2065", "\u206a", "\ufdcf", "\ufdf0", "😀"]


@pytest.mark.parametrize(("ch", "kind"), REFUSED, ids=[f"U+{ord(c):04X}" for c, _ in REFUSED])
def test_refused_characters_are_named(ch, kind):
    with pytest.raises(ValueError, match=rf"^must not contain {kind} \(U\+{ord(ch):04X} at position 4\)$"):
        check_text(f"abc{ch}def")
    assert forbidden_kind(ch) == kind


@pytest.mark.parametrize("ch", KEPT, ids=[f"U+{ord(c):04X}" for c in KEPT])
def test_ordinary_characters_are_kept(ch):
    assert check_text(f"a{ch}b") == f"a{ch}b"
    assert forbidden_kind(ch) is None


def test_the_fast_pattern_and_the_explanation_agree_on_every_code_point():
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        assert (FORBIDDEN.match(ch) is not None) == (forbidden_kind(ch) is not None), f"U+{code:04X}"


def test_free_text_type_applies_the_policy_outside_request_bodies_too():
    class Note(ApiInput):
        text: FreeText

    with pytest.raises(ValidationError, match="bidirectional override"):
        Note(text="factura\u202etxt.exe")
    assert Note(text="  Calle 45\nBogotá ").text == "Calle 45\nBogotá"


@pytest.mark.parametrize("value", ["１００", "100\n", "100 ", " 100", "١٠٠", "1e3", "100.", ".5"])
def test_money_is_ascii_digits_and_nothing_else(value):
    with pytest.raises(ValueError, match="must be a decimal number"):
        to_decimal(value)


def test_every_text_field_refuses_the_same_characters(client, tenant, database):
    headers = tenant.headers(Role.ADMIN)
    customer = client.post("/billing/customers", headers=headers, json={"razonSocial": "Limpio", "nit": random_nit()})
    assert customer.status_code == 201
    cid = customer.json()["id"]
    res = client.post(
        "/billing/resolutions",
        headers=headers,
        json={
            "resolutionNumber": "187600001",
            "prefix": "TP",
            "rangeFrom": 1,
            "rangeTo": 10,
            "validFrom": "2026-01-01",
            "validTo": "2030-12-31",
        },
    ).json()
    line = {"description": "Resma", "quantity": "1", "unitPrice": "100.00", "taxes": []}
    draft = client.post(
        "/billing/invoices", headers=headers, json={"customerId": cid, "resolutionId": res["id"], "lines": [line]}
    ).json()
    for bad in ("\u202e", "\x85", "\u2028", "\ufdd0"):
        for method, path, body, field in [
            ("POST", "/billing/customers", {"razonSocial": f"Cliente{bad}", "nit": random_nit()}, "razonSocial"),
            ("PATCH", f"/billing/customers/{cid}", {"direccion": f"Calle{bad} 45"}, "direccion"),
            ("PATCH", f"/billing/customers/{cid}", {"telefono": f"300{bad}"}, "telefono"),
            ("PATCH", f"/billing/resolutions/{res['id']}", {"technicalKey": f"abc{bad}"}, "technicalKey"),
            ("PATCH", f"/billing/invoices/{draft['id']}", {"notes": f"Nota{bad}"}, "notes"),
            (
                "PATCH",
                f"/billing/invoices/{draft['id']}",
                {"lines": [{**line, "description": f"R{bad}"}]},
                "lines[0].description",
            ),
            (
                "POST",
                "/users",
                {"email": "x@example.co", "name": f"N{bad}", "password": "una clave bien larga", "role": "CONSULTA"},
                "name",
            ),
        ]:
            r = client.request(method, path, headers=headers, json=body)
            problem = assert_problem(r, 400, field=field)
            assert f"U+{ord(bad):04X}" in json.dumps(problem, ensure_ascii=False), (path, problem)
    assert client.get(f"/billing/customers/{cid}", headers=headers).json()["direccion"] is None
    r = client.get("/billing/customers", params={"search": "a\u202eb"}, headers=headers)
    assert_problem(r, 400)
    r = client.post(
        f"/billing/invoices/{draft['id']}/payments", headers=headers, json={"amount": "１００", "method": "OTRO"}
    )
    assert_problem(r, 400, field="amount")
