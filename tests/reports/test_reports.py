"""Receivables reports through the API: ageing, statement, payments, summary; CSV and XLSX."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.cell.cell import Cell

from fixtures.common import assert_problem
from fixtures.receivables import make_customer, make_invoice, make_resolution, pay, today
from nitida.users.models import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUCKETS = ("notDue", "days1To30", "days31To60", "days61To90", "over90")


def get(client, tenant, path, role=Role.CONSULTA, **params):
    r = client.get(path, params=params, headers=tenant.headers(role))
    assert r.status_code == 200, r.text
    return r


def test_aging_buckets_at_their_boundaries(client, tenant):
    resolution = make_resolution(client, tenant)
    as_of = today() + timedelta(days=100)
    expected = {0: "notDue", 1: "days1To30", 30: "days1To30", 31: "days31To60", 60: "days31To60"}
    expected |= {61: "days61To90", 90: "days61To90", 91: "over90"}
    customers = {}
    for i, days in enumerate(expected):
        customer = make_customer(client, tenant, f"Cliente {days} días")
        # Due (100 - days) days from today: on as_of it is `days` days past due.
        make_invoice(client, tenant, customer, resolution, f"{1000 * (i + 1)}.00", due=as_of - timedelta(days=days))
        customers[customer["id"]] = (days, Decimal(1000 * (i + 1)))
    contado = make_customer(client, tenant, "Cliente de contado")
    make_invoice(client, tenant, contado, resolution, "50.00")  # due on its issue date: 100 days on as_of

    report = get(client, tenant, "/billing/reports/aging", asOf=as_of.isoformat()).json()
    assert report["asOf"] == as_of.isoformat()
    rows = {row["customerId"]: row for row in report["rows"]}
    assert len(rows) == 9
    for customer_id, (days, amount) in customers.items():
        row = rows[customer_id]
        for bucket in BUCKETS:
            want = amount if bucket == expected[days] else Decimal(0)
            assert Decimal(row[bucket]) == want, (days, bucket, row)
        assert Decimal(row["total"]) == amount
    assert rows[contado["id"]]["over90"] == "50.00"
    assert [Decimal(r["total"]) for r in report["rows"]] == sorted(
        (Decimal(r["total"]) for r in report["rows"]), reverse=True
    )
    totals = report["totals"]
    for bucket in (*BUCKETS, "total"):
        assert Decimal(totals[bucket]) == sum(Decimal(r[bucket]) for r in report["rows"])
    assert totals["total"] == "36050.00"
    # One day earlier everything moves one day back: 1 day past due is now not due.
    earlier = get(client, tenant, "/billing/reports/aging", asOf=(as_of - timedelta(days=1)).isoformat()).json()
    one_day = next(cid for cid, (days, _a) in customers.items() if days == 1)
    assert next(r for r in earlier["rows"] if r["customerId"] == one_day)["notDue"] == "2000.00"


def test_partial_payments_reduce_their_invoice(client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Colegio Santa Ana")
    first = make_invoice(client, tenant, customer, resolution, "100000.00")
    paid = make_invoice(client, tenant, customer, resolution, "20000.00")
    pay(client, tenant, first, "30000.00")
    pay(client, tenant, first, "20000.50")
    pay(client, tenant, paid, "20000.00")
    other = make_customer(client, tenant, "Otro cliente")
    make_invoice(client, tenant, other, resolution, "10.00")

    report = get(client, tenant, "/billing/reports/aging", customerId=customer["id"]).json()
    assert len(report["rows"]) == 1
    row = report["rows"][0]
    assert row["notDue"] == row["total"] == "49999.50"  # CONTADO, today: 0 days past due
    assert row["tipoDocumento"] == "CC" and row["tipoDocumentoCodigo"] == "13"
    assert report["totals"]["total"] == "49999.50"
    # Before the invoices existed, nothing was owed.
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert get(client, tenant, "/billing/reports/aging", asOf=yesterday).json()["rows"] == []


def test_statement_running_balance_ends_at_the_customers_balance(client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Droguería La Rebaja")
    a = make_invoice(client, tenant, customer, resolution, "100000.00", tax=True)  # 119,000.00
    b = make_invoice(client, tenant, customer, resolution, "50000.00", due=today() + timedelta(days=30))
    pay(client, tenant, a, "19000.00", reference="RC-1")
    pay(client, tenant, b, "50000.00", method="EFECTIVO", reference="RC-2")

    body = get(client, tenant, f"/billing/customers/{customer['id']}/statement").json()
    assert body["openingBalance"] == "0.00" and body["from"] is None and body["to"] == today().isoformat()
    kinds = [(line["kind"], line["amount"], line["balance"]) for line in body["lines"]]
    assert kinds == [
        ("INVOICE", "119000.00", "119000.00"),
        ("INVOICE", "50000.00", "169000.00"),
        ("PAYMENT", "-19000.00", "150000.00"),
        ("PAYMENT", "-50000.00", "100000.00"),
    ]
    assert body["lines"][0]["document"] == a["number"]
    assert body["lines"][2]["document"] == "RC-1" and body["lines"][2]["invoiceNumber"] == a["number"]
    invoices = client.get(
        "/billing/invoices", params={"customerId": customer["id"]}, headers=tenant.headers(Role.ADMIN)
    ).json()
    balance = sum(Decimal(i["total"]) - Decimal(i["amountPaid"]) for i in invoices)
    assert Decimal(body["closingBalance"]) == balance == Decimal("100000.00")
    # A period after every movement: it all goes into the opening balance.
    later = (today() + timedelta(days=1)).isoformat()
    body = get(client, tenant, f"/billing/customers/{customer['id']}/statement", **{"from": later, "to": later}).json()
    assert body["openingBalance"] == body["closingBalance"] == "100000.00" and body["lines"] == []
    # A period before them: nothing.
    earlier = (today() - timedelta(days=5)).isoformat()
    body = get(client, tenant, f"/billing/customers/{customer['id']}/statement", to=earlier).json()
    assert body["closingBalance"] == "0.00" and body["lines"] == []
    r = client.get(
        f"/billing/customers/{customer['id']}/statement",
        params={"from": later, "to": earlier},
        headers=tenant.headers(),
    )
    assert_problem(r, 400, field="from")


def test_payments_list_with_filters(client, tenant):
    resolution = make_resolution(client, tenant)
    ana, beto = make_customer(client, tenant, "Ana"), make_customer(client, tenant, "Beto")
    ia, ib = (
        make_invoice(client, tenant, ana, resolution, "1000.00"),
        make_invoice(client, tenant, beto, resolution, "500.00"),
    )
    pay(client, tenant, ia, "400.00", method="EFECTIVO")
    pay(client, tenant, ib, "500.00", method="CHEQUE", reference="CH-9")
    rows = get(client, tenant, "/billing/payments").json()
    assert [(r["invoiceNumber"], r["amount"], r["method"]) for r in rows] == [
        (ia["number"], "400.00", "EFECTIVO"),
        (ib["number"], "500.00", "CHEQUE"),
    ]
    assert (
        rows[1]["razonSocial"] == "Beto" and rows[1]["reference"] == "CH-9" and rows[1]["date"] == today().isoformat()
    )
    assert [r["amount"] for r in get(client, tenant, "/billing/payments", method="CHEQUE").json()] == ["500.00"]
    assert [r["amount"] for r in get(client, tenant, "/billing/payments", customerId=ana["id"]).json()] == ["400.00"]
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert get(client, tenant, "/billing/payments", **{"from": tomorrow}).json() == []
    assert len(get(client, tenant, "/billing/payments", to=today().isoformat()).json()) == 2
    assert_problem(client.get("/billing/payments", params={"method": "BITCOIN"}, headers=tenant.headers()), 400)


def test_monthly_summary(client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant)
    a = make_invoice(client, tenant, customer, resolution, "100000.00", tax=True)
    make_invoice(client, tenant, customer, resolution, "1000.00", due=today() + timedelta(days=10))
    pay(client, tenant, a, "119000.00")
    month = today().strftime("%Y-%m")
    body = get(client, tenant, "/billing/reports/summary", month=month).json()
    assert body == {
        "month": month,
        "invoicedBeforeTax": "101000.00",
        "invoicedTax": "19000.00",
        "invoicedTotal": "120000.00",
        "collected": "119000.00",
        "receivablesAtMonthEnd": "1000.00",
        "overdueAtMonthEnd": body["overdueAtMonthEnd"],  # depends on whether day 10 falls in this month
        "invoicesByStatus": {"DRAFT": 0, "ISSUED": 1, "PAID": 1, "VOID": 0},
    }
    last_month = (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    before = get(client, tenant, "/billing/reports/summary", month=last_month).json()
    assert before["invoicedTotal"] == before["receivablesAtMonthEnd"] == "0.00"
    for bad in ("2026-13", "2026-1", "noviembre"):
        assert_problem(client.get("/billing/reports/summary", params={"month": bad}, headers=tenant.headers()), 400)


def test_aging_as_xlsx_cell_by_cell(client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Papelería Nítida", tipoDocumento="NIT", nit="900123456-8")
    inv = make_invoice(client, tenant, customer, resolution, "1234567.89")
    pay(client, tenant, inv, "0.89")
    r = get(client, tenant, "/billing/reports/aging", format="xlsx")
    assert r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "Cliente",
        "Tipo de documento",
        "Código DIAN tipo de documento",
        "Número de documento",
        "DV",
        "No vencido",
        "1 a 30 días",
        "31 a 60 días",
        "61 a 90 días",
        "Más de 90 días",
        "Total",
    ]
    data = rows[1]
    assert [c.value for c in data[:5]] == ["Papelería Nítida", "NIT", "31", "900123456", "8"]
    for cell in data[5:]:
        assert cell.data_type == "n" and cell.number_format == "#,##0.00"
    assert data[5].value == pytest.approx(1234567.00) and data[10].value == pytest.approx(1234567.00)
    assert data[6].value == 0
    assert rows[2][0].value == "Total" and rows[2][10].value == pytest.approx(1234567.00)
    assert len(rows) == 3

    # Dates are dates (the payments list), amounts numbers.
    r = client.get("/billing/payments", headers={**tenant.headers(), "Accept": XLSX})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    header, row = [[c for c in r_] for r_ in sheet.iter_rows(max_row=2)]
    assert header[0].value == "Fecha" and header[1].value == "Valor"
    assert (
        isinstance(row[0], Cell) and row[0].is_date and row[0].value == datetime.combine(today(), datetime.min.time())
    )
    assert row[0].number_format == "dd/mm/yyyy"
    assert row[1].data_type == "n" and row[1].value == pytest.approx(0.89)
    assert row[4].value == inv["number"]


def test_reports_as_csv(client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Ferretería Ñandú; y Cía.")
    make_invoice(client, tenant, customer, resolution, "1234.50")
    r = client.get("/billing/reports/aging", headers={**tenant.headers(), "Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:2] == ["Cliente", "Tipo de documento"]
    assert lines[1].startswith('"Ferretería Ñandú; y Cía.";CC;13;')  # a separator inside a name is quoted
    assert lines[1].endswith(";1234,50;0,00;0,00;0,00;0,00;1234,50")
    assert lines[2].startswith("Total;")
    r = get(client, tenant, f"/billing/customers/{customer['id']}/statement", format="csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Fecha;Movimiento;Documento;Factura;Cargo;Abono;Saldo"
    assert lines[2].startswith(today().strftime("%d/%m/%Y") + ";Factura;")
    assert lines[-1].endswith(";1234,50")
    r = get(client, tenant, "/billing/reports/summary", format="csv")
    assert "Facturado con impuestos;1234,50" in r.content.decode("utf-8-sig")


def test_another_tenants_data_is_absent_from_every_report(client, tenant, other_tenant):
    mine = make_customer(client, tenant, "Cliente propio")
    make_invoice(client, tenant, mine, make_resolution(client, tenant), "10.00")
    resolution = make_resolution(client, other_tenant)
    theirs = make_customer(client, other_tenant, "Cliente Ajeno Secreto")
    inv = make_invoice(client, other_tenant, theirs, resolution, "777777.00")
    pay(client, other_tenant, inv, "7.00", reference="AJENO-REF")
    for path in ("/billing/reports/aging", "/billing/payments", "/billing/reports/summary"):
        for fmt in ("json", "csv", "xlsx"):
            r = get(client, tenant, path, format=fmt)
            content = r.content if fmt != "xlsx" else _xlsx_text(r.content).encode()
            for secret in (b"Ajeno", b"777777", b"AJENO-REF", theirs["id"].encode(), inv["number"].encode() + b";"):
                assert secret not in content, (path, fmt, secret)
    aging = get(client, tenant, "/billing/reports/aging").json()
    assert [r["customerId"] for r in aging["rows"]] == [mine["id"]]
    r = client.get(f"/billing/customers/{theirs['id']}/statement", headers=tenant.headers())
    assert_problem(r, 404)
    r = client.get("/billing/reports/aging", params={"customerId": theirs["id"]}, headers=tenant.headers())
    assert r.json()["rows"] == []


def _xlsx_text(content: bytes) -> str:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return "\n".join(";".join(str(c) for c in row) for row in sheet.iter_rows(values_only=True))


def test_bad_parameters_are_400(client, tenant):
    for path, params, field in (
        ("/billing/reports/aging", {"asOf": "2026-02-30"}, "asOf"),
        ("/billing/reports/aging", {"customerId": "nope"}, "customerId"),
        ("/billing/reports/aging", {"format": "pdf"}, "format"),
        ("/billing/payments", {"from": "2026-11-02", "to": "2026-11-01"}, "from"),
    ):
        assert_problem(client.get(path, params=params, headers=tenant.headers()), 400, field=field)


def test_aging_json_has_the_documented_shape(client, tenant):
    from nitida.reports.schemas import AgingReportRead

    customer = make_customer(client, tenant, "Cliente Documentado")
    make_invoice(client, tenant, customer, make_resolution(client, tenant), "10.00")
    body = get(client, tenant, "/billing/reports/aging").json()
    assert AgingReportRead.model_validate(body).model_dump(mode="json", by_alias=True) == body


def test_credit_and_debit_notes_move_their_invoice_in_every_report(client, tenant):
    from fixtures.einvoicing_api import accepted_invoice, configure

    headers = tenant.headers(Role.ADMIN)
    configure(client, headers)
    invoice = accepted_invoice(client, headers)
    customer_id = invoice["customer"]["id"] if "id" in invoice["customer"] else invoice["customerId"]
    total = Decimal(invoice["total"])
    credit = client.post(
        f"/billing/invoices/{invoice['id']}/credit-notes",
        headers=headers,
        json={
            "concept": 3,
            "description": "Rebaja por pronto pago",
            "lines": [{"description": "Rebaja", "quantity": "1", "unitPrice": "10000.00"}],
        },
    )
    assert credit.status_code == 201, credit.text
    debit = client.post(
        f"/billing/invoices/{invoice['id']}/debit-notes",
        headers=headers,
        json={
            "concept": 1,
            "description": "Intereses de mora",
            "lines": [{"description": "Intereses de mora", "quantity": "1", "unitPrice": "3500.00"}],
        },
    )
    assert debit.status_code == 201, debit.text
    credited, debited = Decimal(credit.json()["total"]), Decimal(debit.json()["total"])
    balance = Decimal(client.get(f"/billing/invoices/{invoice['id']}", headers=headers).json()["balance"])
    assert balance == total - credited + debited

    statement = get(client, tenant, f"/billing/customers/{customer_id}/statement").json()
    assert [(line["kind"], Decimal(line["amount"])) for line in statement["lines"]] == [
        ("INVOICE", total),
        ("DEBIT_NOTE", debited),
        ("CREDIT_NOTE", -credited),
    ]
    assert statement["lines"][2]["document"] == credit.json()["number"]
    assert Decimal(statement["closingBalance"]) == balance

    aging = get(client, tenant, "/billing/reports/aging", customerId=customer_id).json()
    assert Decimal(aging["rows"][0]["total"]) == balance
