"""`nitida demo` tells a story (issue 26): a year of billing before today, so Inicio, Cartera and the
reports show what they are for on first open. Each historical document was issued, signed and accepted on
its own date (nitida.demo.history): its XML passes the XSD and the DIAN's rules received on that date.
Both engines (the ``app`` fixture's database)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from fixtures.common import SECRET
from fixtures.einvoicing import assert_schema_valid
from fixtures.web import sign_in, web_client
from nitida.core.clock import bogota_today
from nitida.demo.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from nitida.einvoicing import signing


@pytest.fixture
def demo(app, database):
    seed_demo(database, SECRET)  # once per database: later calls find it
    api = TestClient(app, raise_server_exceptions=False)
    token = api.post("/auth/login", json={"email": DEMO_LOGINS[1][1], "password": DEMO_PASSWORD}).json()
    api.headers["Authorization"] = f"Bearer {token['accessToken']}"
    return api


def _figure(html: str, title: str) -> str:
    found = re.search(rf"<h2>{title}</h2>\s*<p class=\"cifra\">([^<]+)</p>", html)
    assert found, title
    return found[1]


def test_inicio_and_cartera_open_on_a_year_of_history(app, demo):
    web = web_client(app)
    assert sign_in(web, DEMO_LOGINS[1][1], DEMO_PASSWORD).status_code == 303
    web_page = web.get("/app").text
    assert _figure(web_page, "Ventas del mes") != "$ 0,00"
    assert _figure(web_page, "Por cobrar") != "$ 0,00"
    assert _figure(web_page, "Vencido") != "$ 0,00"
    assert "Primeros pasos" not in web_page

    cartera = web.get("/app/cartera").text
    footer = re.search(r"<tfoot>(.*?)</tfoot>", cartera, re.S)
    assert footer, "Cartera has no rows"
    amounts = re.findall(r'<td class="num">(?:<strong>)?([^<]+)', footer[1])
    not_due, *overdue, total = amounts
    assert total != "$ 0,00" and any(a != "$ 0,00" for a in overdue), amounts


def test_the_history_spans_twelve_months_of_accepted_documents_on_their_own_dates(demo):
    today = bogota_today()
    invoices = demo.get("/billing/invoices", params={"limit": 1000}).json()
    issued = sorted((i for i in invoices if i["number"] and i["number"].startswith("SETP")), key=lambda i: i["number"])
    assert len(issued) >= 60
    dates = [dt.date.fromisoformat(i["issueDate"]) for i in issued]
    assert dates == sorted(dates)  # the consecutive follows the dates
    assert dates[0] <= today - dt.timedelta(days=300) and dates[-1] <= today
    months = {(d.year, d.month) for d in dates}
    assert len(months) >= 12
    statuses = {i["status"] for i in invoices}
    assert {"PAID", "ISSUED", "VOID"} <= statuses
    overdue = [i for i in issued if i["status"] == "ISSUED" and i["dueDate"] and i["dueDate"] < today.isoformat()]
    assert 2 <= len(overdue) <= 8
    historical = [i for i in issued if dt.date.fromisoformat(i["issueDate"]) < today - dt.timedelta(days=30)]
    assert all(i["electronicStatus"] == "ACCEPTED" for i in historical)
    assert any(i["creditedTotal"] != "0.00" for i in issued) and any(i["debitedTotal"] != "0.00" for i in issued)

    oldest = issued[0]
    xml = demo.get(f"/billing/invoices/{oldest['id']}/xml").content
    assert_schema_valid(xml)
    assert signing.verify(xml)
    assert f"<cbc:IssueDate>{oldest['issueDate']}</cbc:IssueDate>".encode() in xml
    credit = demo.get("/billing/credit-notes").json()
    debit = demo.get("/billing/debit-notes").json()
    assert len(credit) >= 3 and len(debit) >= 2
    notes = [
        demo.get(f"/billing/credit-notes/{credit[0]['id']}/xml").content,
        demo.get(f"/billing/debit-notes/{debit[0]['id']}/xml").content,
    ]
    for note in notes:
        assert_schema_valid(note)
        assert signing.verify(note)
    from fixtures import dian_rules

    for document in (xml, *notes):
        dian_rules.assert_dian_accepts(document, what="a document of the demo's history")


def test_the_clock_is_set_only_inside_its_block():
    from nitida.core import clock
    from nitida.core.db import utcnow

    moment = dt.datetime(2026, 1, 15, 9, 30, tzinfo=clock.BOGOTA)
    with clock.at(moment):
        assert clock.bogota_today() == dt.date(2026, 1, 15) and utcnow() == moment
    assert abs(utcnow() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    with pytest.raises(ValueError):
        with clock.at(dt.datetime(2026, 1, 15)):  # naive: refused
            pass
