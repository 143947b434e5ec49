"""The DIAN's file names (fv/nc/nd/ad + NIT in 10 digits + provider + year + hexadecimal consecutive) and the ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest

from nitida.dian import files
from nitida.einvoicing.documents import DocumentKind


def test_invoice_name_pads_the_nit_and_writes_the_consecutive_in_hexadecimal():
    names = files.document_file_names(DocumentKind.INVOICE, "900123456", 2026, 26)
    assert names.xml == "fv0900123456000260000001a.xml"
    assert names.zip == "z0900123456000260000001a.zip"


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [(DocumentKind.CREDIT_NOTE, "nc"), (DocumentKind.DEBIT_NOTE, "nd"), ("attached", "ad")],
)
def test_each_document_kind_has_its_prefix(kind, prefix):
    names = files.document_file_names(kind, "800197268", 2027, 1)
    assert names.xml == f"{prefix}0800197268000270000000" + "1.xml"
    assert names.zip.startswith("z0800197268")


def test_technology_provider_code_and_the_largest_consecutive():
    names = files.document_file_names(DocumentKind.INVOICE, "9001234567", 2030, 0xFFFFFFFF, provider_code="123")
    assert names.xml == "fv900123456712330ffffffff.xml"
    assert len(names.xml) == len("fv") + 10 + 3 + 2 + 8 + len(".xml")


@pytest.mark.parametrize(
    ("nit", "year", "consecutive", "provider"),
    [
        ("900123456-8", 2026, 1, "000"),  # the check digit is not part of the name
        ("12345678901", 2026, 1, "000"),  # more than 10 digits
        ("900123456", 2026, 0, "000"),  # consecutives start at 1
        ("900123456", 2026, 0x100000000, "000"),  # more than 8 hexadecimal digits
        ("900123456", 2026, 1, "12"),
    ],
)
def test_bad_name_parts_are_refused(nit, year, consecutive, provider):
    with pytest.raises(ValueError):
        files.document_file_names(DocumentKind.INVOICE, nit, year, consecutive, provider_code=provider)


def test_zip_holds_the_document_under_its_name():
    data = files.zip_single("fv09001234560002600000001.xml", b"<Invoice/>")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["fv09001234560002600000001.xml"]
        assert archive.read("fv09001234560002600000001.xml") == b"<Invoice/>"
        assert archive.getinfo("fv09001234560002600000001.xml").compress_type == zipfile.ZIP_DEFLATED


def test_each_file_type_has_its_own_consecutive():
    # Issue 25: the ad container and the z ZIP took the invoice's consecutive, so two containers mailed to one
    # buyer could share a name. Each kind names its own counter, and the ZIP may take its own number.
    assert [files.file_kind(k) for k in (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE, DocumentKind.DEBIT_NOTE)] == [
        "fv",
        "nc",
        "nd",
    ]
    assert files.file_kind("attached") == "ad" and files.file_kind("z") == "z"
    names = files.document_file_names("attached", "900123456", 2026, 7, zip_consecutive=12)
    assert names == files.FileNames(xml="ad090012345600026" + "00000007.xml", zip="z090012345600026" + "0000000c.zip")
    assert files.file_name("z", "900123456", 2026, 255) == "z0900123456000260000" + "00ff.zip"
    # without a ZIP number the old pairing stays (callers that keep no z counter yet)
    assert files.document_file_names(DocumentKind.INVOICE, "900123456", 2026, 5).zip.endswith("00000005.zip")
