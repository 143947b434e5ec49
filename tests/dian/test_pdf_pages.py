"""Issue 25, the printed form at its limits: a 200-line invoice with 13-digit figures carries its CUFE and a
QR of the annex's labelled text on every page, and no figure wraps or overlaps another (word boxes from
pdftotext -bbox, pages looked at as PNGs); the marks of a document the DIAN has not validated or rejected."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from lxml import etree
from PIL import Image

from dian.test_pdf import keep_sample, one_line, pages_png, poppler, text_of
from fixtures.einvoicing import demo_certificate, line, make_document
from nitida.dian import formats, pdf
from nitida.einvoicing import emit

BIG = "9999999999999.99"  # $ 9.999.999.999.999,99


@pytest.fixture(scope="module")
def long_invoice():
    lines = (
        line("Máquina industrial de precisión con referencia larga", "1", BIG),
        *(
            line(
                f"Artículo {i} de papelería",
                "1234.567",
                "999999.99",
                discount="12.5",
                taxes=(("IVA", "19"),) if i % 2 else (("INC", "8"),),
            )
            for i in range(2, 201)
        ),
    )
    doc = make_document(lines=lines)
    emitted = emit.emit(doc, demo_certificate())
    return doc, emitted, pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data))


def words_by_page(data: bytes, tmp_path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    poppler()
    source = tmp_path / "words.pdf"
    source.write_bytes(data)
    html = subprocess.run(["pdftotext", "-bbox", str(source), "-"], check=True, capture_output=True).stdout
    root = etree.fromstring(html, etree.HTMLParser())
    return [
        [
            (float(w.get("xmin")), float(w.get("ymin")), float(w.get("xmax")), float(w.get("ymax")), w.text or "")
            for w in page.iter("word")
        ]
        for page in root.iter("page")
    ]


def test_every_page_of_a_200_line_invoice_carries_its_cufe_and_qr(long_invoice, tmp_path):
    doc, emitted, data = long_invoice
    pages = [p for p in text_of(data, tmp_path).split("\f") if p.strip()]
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert emitted.document_key in page.replace(" ", ""), f"page {number} has no CUFE"
    expected = cufe_text = None
    pngs = pages_png(data, tmp_path, "larga", dpi=150)
    assert len(pngs) == len(pages)
    for number, png in enumerate(pngs, start=1):
        codes = [c.text for c in zxingcpp.read_barcodes(Image.open(png)) if c.format == zxingcpp.BarcodeFormat.QRCode]
        assert len(codes) == 1, f"page {number}: {len(codes)} QR codes"
        [cufe_text] = codes
        lines = cufe_text.splitlines()
        assert [entry.split(":", 1)[0] for entry in lines] == [
            "NumFac",
            "FecFac",
            "HorFac",
            "NitFac",
            "DocAdq",
            "ValFac",
            "ValIva",
            "ValOtroIm",
            "ValTolFac",
            "CUFE",
            "QRCode",
        ]
        expected = expected or cufe_text
        assert cufe_text == expected  # one text, the same on every page
    assert cufe_text is not None and f"CUFE: {emitted.document_key}" in cufe_text
    assert f"ValTolFac: {doc.totals.payable:.2f}" in cufe_text
    keep_sample(pngs[0], "factura-200-lineas-pagina-1.png")
    keep_sample(pngs[-1], "factura-200-lineas-ultima.png")


def test_thirteen_digit_figures_never_wrap_or_overlap(long_invoice, tmp_path):
    doc, emitted, data = long_invoice
    layout = text_of(data, tmp_path)
    figures = [
        formats.money(Decimal(BIG)),  # the first line's price and amount
        formats.money(doc.totals.payable),
        formats.money(doc.totals.line_extension),
        *(formats.money(sub.taxable_amount) for t in doc.tax_totals for sub in t.subtotals),
    ]
    assert formats.money(Decimal(BIG)) == "$ 9.999.999.999.999,99"
    for figure in figures:
        assert any(figure in row for row in layout.splitlines()), f"{figure} is not on one line"
    assert layout.count("$ 9.999.999.999.999,99") >= 2  # unit price and line amount, each whole
    # The CUFE is one word on one line of every page: no page breaks it.
    for page in words_by_page(data, tmp_path):
        assert emitted.document_key in [w[4] for w in page]
        boxes = [w for w in page if w[4].strip()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                overlap_y = min(a[3], b[3]) - max(a[1], b[1])
                assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{a[4]!r} overlaps {b[4]!r}"


@pytest.mark.parametrize("mark", [pdf.NOT_VALIDATED_MARK, pdf.REJECTED_MARK])
def test_a_document_the_dian_has_not_validated_is_marked_on_every_page(mark, tmp_path):
    lines = tuple(line(f"Artículo {i}", "1", "1000.00", taxes=(("IVA", "19"),)) for i in range(1, 61))
    doc = make_document(lines=lines)
    emitted = emit.emit(doc, demo_certificate())
    data = pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data, mark=mark))
    pages = [p for p in text_of(data, tmp_path).split("\f") if p.strip()]
    assert len(pages) >= 2
    for page in pages:
        assert mark in one_line(page)
        assert emitted.document_key in page.replace(" ", "")
    assert "Validada por la DIAN" not in one_line("".join(pages))
    [first, *_] = pages_png(data, tmp_path, "marca", dpi=80)
    keep_sample(first, f"factura-{'rechazada' if 'Rechazada' in mark else 'no-validada'}.png")
