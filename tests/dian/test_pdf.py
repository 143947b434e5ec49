"""The representación gráfica, rendered the way a person sees it: PDF -> PNG (pdftoppm), text (pdftotext), QR decoded."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from fixtures.einvoicing import CUSTOMER_FINAL, demo_certificate, line, make_document
from nitida.dian import pdf
from nitida.einvoicing import emit
from nitida.einvoicing.documents import BillingReference, DocumentKind, Payment
from nitida.vocabulary.kinds import PaymentForm

SAMPLES = Path(__file__).resolve().parents[2] / ".samples"  # git-ignored: PNGs to look at


def poppler() -> None:
    """pdftoppm and pdftotext (Debian poppler-utils; scripts/test.sh installs them). Missing: skip, fail under CI."""
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    message = "poppler-utils (pdftoppm, pdftotext) is not installed: apt-get install poppler-utils"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def text_of(data: bytes, tmp_path: Path) -> str:
    poppler()
    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True)
    return out.stdout.decode("utf-8")


def pages_png(data: bytes, tmp_path: Path, name: str = "page", dpi: int = 110) -> list[Path]:
    poppler()
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / name)], check=True)
    return sorted(tmp_path.glob(f"{name}-*.png"))


def keep_sample(png: Path, name: str) -> None:
    SAMPLES.mkdir(exist_ok=True)
    shutil.copy(png, SAMPLES / name)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def invoice():
    doc = make_document(payment=Payment(PaymentForm.CREDITO, "47", dt.date(2026, 12, 25)))
    emitted = emit.emit(doc, demo_certificate())
    return doc, emitted


@pytest.fixture(scope="module")
def invoice_pdf(invoice) -> bytes:
    doc, emitted = invoice
    return pdf.render(
        pdf.Printable(
            doc,
            emitted.document_key,
            emitted.qr_data,
            validated_at=dt.datetime(2026, 11, 25, 14, 31, 2, tzinfo=dt.UTC),
        )
    )


def test_invoice_shows_everything_the_issue_lists(invoice, invoice_pdf, tmp_path):
    doc, emitted = invoice
    text = text_of(invoice_pdf, tmp_path)
    flat = one_line(text)
    # Issuer: razón social, NIT-DV, address, responsibilities.
    for expected in (
        "Papelería Nítida S.A.S.",
        "NIT 900.123.456-8",
        "Carrera 7 # 71-21 Oficina 502",
        "Bogotá, D.C., C.P. 110231",
        "O-13 Gran contribuyente; O-23 Agente de retención IVA",
        "Responsable de IVA",
    ):
        assert expected in flat, expected
    # Title, number, dates.
    assert "Factura electrónica de venta" in flat
    assert "No. SETP990000101" in flat
    assert "25/11/2026 09:30:15" in flat
    assert "Fecha de vencimiento 25/12/2026" in flat
    assert "Validada por la DIAN 25/11/2026 09:31:02" in flat
    # Resolution: number, dates, prefix, range.
    assert (
        "Autorización de numeración de facturación DIAN No. 18760000001, vigente del 19/01/2019 al 19/01/2030; "
        "prefijo SETP, del 990000000 al 995000000." in flat
    )
    # Buyer.
    for expected in ("Ferretería El Dorado S.A.S.", "NIT 901.555.333-8", "Calle 10 # 43-12", "Medellín, Antioquia"):
        assert expected in flat, expected
    assert "facturacion@ferreteriaeldorado.com.co" in flat
    # Lines with es-CO figures.
    assert "Resma papel carta 75 g" in flat and "$ 11.900,00" in flat and "$ 119.000,00" in flat
    assert "Servicio de asesoría (excluido)" in flat and "1,5" in flat and "hora" in flat
    assert "Cuaderno argollado 100 hojas" in flat and "10%" in flat
    # Taxes by rate: IVA 0, 5, 19 and INC 8, with their bases.
    for rate, base, amount in (
        ("0%", "$ 90.000,00", "$ 0,00"),
        ("5%", "$ 24.800,00", "$ 1.240,00"),
        ("19%", "$ 141.950,00", "$ 26.970,50"),
        ("8%", "$ 34.200,00", "$ 2.736,00"),
    ):
        assert any(rate in row and base in row and amount in row for row in text.splitlines()), rate
    # Totals in figures and in words.
    total = doc.totals.payable
    assert total == Decimal("411896.50")
    assert "Total a pagar $ 411.896,50" in flat
    assert (
        "Valor en letras: Cuatrocientos once mil ochocientos noventa y seis pesos con cincuenta centavos M/CTE" in flat
    )
    # Payment form, means, due date.
    assert "Forma de pago: Crédito · Medio de pago: Transferencia débito bancaria · Vence: 25/12/2026" in flat
    # CUFE, consultation URL, software provider, the legend.
    assert emitted.document_key in flat.replace(" ", "")
    assert "Representación gráfica de la factura electrónica" in flat
    assert "Software de facturación: La Oficina Nítida" in flat
    assert "Proveedor del software: Papelería Nítida S.A.S., NIT 900.123.456-8" in flat
    assert "Página 1 de 1" in flat
    assert "Borrador" not in flat


def test_the_qr_is_the_annexs_labelled_text_ending_in_the_consultation_url(invoice, invoice_pdf, tmp_path):
    # Issue 25: the QR carried only the URL; Anexo 1.9 §11.7 lays out a labelled text block.
    doc, emitted = invoice
    [png] = pages_png(invoice_pdf, tmp_path, "factura", dpi=110)
    keep_sample(png, "factura-electronica.png")
    codes = zxingcpp.read_barcodes(Image.open(png))
    [text] = [c.text for c in codes if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert text.splitlines() == [
        f"NumFac: {doc.number}",
        "FecFac: 2026-11-25",
        "HorFac: 09:30:15-05:00",
        "NitFac: 900123456",
        "DocAdq: 901555333",
        f"ValFac: {doc.totals.line_extension:.2f}",
        f"ValIva: {doc.tax_amount('IVA'):.2f}",
        f"ValOtroIm: {doc.tax_amount('INC'):.2f}",
        "ValTolFac: 411896.50",
        f"CUFE: {emitted.document_key}",
        f"QRCode: {emitted.qr_data}",
    ]
    assert emitted.qr_data.startswith("https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=")


def test_draft_is_marked_and_carries_no_cufe_or_qr(tmp_path):
    doc = make_document(number="")
    data = pdf.render(pdf.Printable(doc, draft=True))
    flat = one_line(text_of(data, tmp_path))
    assert "Borrador — sin validez fiscal" in flat
    assert "Sin número" in flat
    assert "CUFE:" not in flat and "searchqr" not in flat
    [png] = pages_png(data, tmp_path, "borrador", dpi=80)
    keep_sample(png, "borrador.png")
    assert zxingcpp.read_barcodes(Image.open(png)) == []


def test_issued_document_needs_its_cufe_and_qr():
    with pytest.raises(ValueError, match="CUFE"):
        pdf.render(pdf.Printable(make_document()))


def test_credit_note_prints_its_reference_concept_and_cude(tmp_path):
    reference = BillingReference("SETP990000101", "a" * 96, dt.date(2026, 11, 20))
    doc = make_document(DocumentKind.CREDIT_NOTE, number="NC1", reference=reference, concept="2")
    emitted = emit.emit(doc, demo_certificate())
    data = pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data))
    flat = one_line(text_of(data, tmp_path))
    assert "Nota crédito electrónica" in flat and "No. NC1" in flat
    assert "Factura que corrige: SETP990000101 del 20/11/2026" in flat
    assert "Concepto de corrección: 2 — Anulación de factura electrónica" in flat
    assert "CUDE:" in flat and emitted.document_key in flat.replace(" ", "")
    assert "Representación gráfica de la nota crédito electrónica" in flat
    assert "Total nota crédito $ 411.896,50" in flat
    assert "Autorización de numeración" not in flat  # notes have no resolution
    [png] = pages_png(data, tmp_path, "nc", dpi=110)
    keep_sample(png, "nota-credito.png")
    [text] = [c.text for c in zxingcpp.read_barcodes(Image.open(png))]
    assert text.startswith("NumFac: NC1\n") and text.endswith(
        f"\nCUFE: {emitted.document_key}\nQRCode: {emitted.qr_data}"
    )


def test_debit_note_title(tmp_path):
    doc = make_document(DocumentKind.DEBIT_NOTE, number="ND7", concept="1")
    emitted = emit.emit(doc, demo_certificate())
    flat = one_line(text_of(pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data)), tmp_path))
    assert "Nota débito electrónica" in flat and "No. ND7" in flat
    assert "Concepto de corrección: 1 — Intereses" in flat


def test_consumidor_final_and_many_lines_break_across_pages(tmp_path):
    many = tuple(
        line(
            f"Artículo de papelería número {i} con una descripción larga que ocupa dos renglones",
            "1",
            "1000.00",
            taxes=(("IVA", "19"),),
        )
        for i in range(1, 61)
    )
    doc = make_document(customer=CUSTOMER_FINAL, lines=many)
    emitted = emit.emit(doc, demo_certificate())
    data = pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data))
    text = text_of(data, tmp_path)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 2
    flat = one_line(text)
    assert "Consumidor final" in flat and "Cédula de ciudadanía 222.222.222.222" in flat
    assert "Página 2 de" in flat
    assert "Papelería Nítida S.A.S. · Factura electrónica de venta No. SETP990000101 (continuación)" in pages[1]
    # The lines' heading repeats on the next page; the last line and the totals are there.
    assert pages[1].count("Valor unitario") == 1
    assert "número 60" in flat
    assert "Total a pagar $ 71.400,00" in flat
    pngs = pages_png(data, tmp_path, "larga", dpi=110)
    keep_sample(pngs[-1], "factura-larga-ultima-pagina.png")
    [text] = [c.text for c in zxingcpp.read_barcodes(Image.open(pngs[-1]))]
    assert text.startswith("NumFac: ") and text.endswith(f"\nQRCode: {emitted.qr_data}")


def test_render_time(invoice, record_property):
    doc, emitted = invoice
    printable = pdf.Printable(doc, emitted.document_key, emitted.qr_data)
    pdf.render(printable)
    started = time.perf_counter()
    for _ in range(3):
        pdf.render(printable)
    per_pdf_ms = (time.perf_counter() - started) * 1000 / 3
    record_property("pdf_render_ms", round(per_pdf_ms))
    print(f"PDF render: {per_pdf_ms:.0f} ms")
    assert per_pdf_ms < 5000
