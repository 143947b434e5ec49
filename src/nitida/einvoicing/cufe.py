"""CUFE, CUDE, SoftwareSecurityCode and the DIAN consultation URL: pure functions.

CUFE = SHA-384(NumFac + FecFac + HorFac + ValFac + "01" + ValImp1 + "04" + ValImp2
+ "03" + ValImp3 + ValTot + NitOFE + NumAdq + ClTec + TipoAmbiente), amounts with
two decimals and "0.00" for a tax the document does not carry (Anexo Técnico,
numeral 11.1). The CUDE of a note is the same with the software PIN in place of
the technical key; a debit note's amounts come from its RequestedMonetaryTotal.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from nitida.einvoicing.documents import Document, DocumentKind
from nitida.vocabulary.kinds import Environment

CENT = Decimal("0.01")

QR_HOSTS = {
    Environment.HABILITACION: "https://catalogo-vpfe-hab.dian.gov.co",
    Environment.PRODUCCION: "https://catalogo-vpfe.dian.gov.co",
}


def amount(value: Decimal | str) -> str:
    """Two decimals, point, no thousands separator: Decimal("1500000") -> "1500000.00"."""
    number = Decimal(value)
    quantized = number.quantize(CENT)
    if quantized != number:
        raise ValueError(f"amount {value} has more than two decimals")
    return f"{quantized:f}"


@dataclass(frozen=True, slots=True)
class KeyInput:
    """The fields the CUFE/CUDE hashes, as they appear in the XML."""

    number: str  # NumFac
    issue_date: str  # FecFac, YYYY-MM-DD
    issue_time: str  # HorFac, HH:MM:SS-05:00
    line_extension: Decimal  # ValFac
    tax_01: Decimal  # ValImp1, IVA
    tax_04: Decimal  # ValImp2, INC
    tax_03: Decimal  # ValImp3, ICA
    payable: Decimal  # ValTot
    supplier_nit: str  # NitOFE, without check digit
    customer_number: str  # NumAdq
    environment_code: str  # TipoAmbiente, "1" or "2"

    def string(self, secret: str) -> str:
        """The concatenation the DIAN hashes; ``secret`` is the technical key (CUFE) or software PIN (CUDE)."""
        return (
            f"{self.number}{self.issue_date}{self.issue_time}{amount(self.line_extension)}"
            f"01{amount(self.tax_01)}04{amount(self.tax_04)}03{amount(self.tax_03)}"
            f"{amount(self.payable)}{self.supplier_nit}{self.customer_number}{secret}{self.environment_code}"
        )

    def hash(self, secret: str) -> str:
        return sha384_hex(self.string(secret))


def sha384_hex(text: str) -> str:
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def key_input(doc: Document) -> KeyInput:
    return KeyInput(
        number=doc.number,
        issue_date=doc.issue_date,
        issue_time=doc.issue_time,
        line_extension=doc.totals.line_extension,
        tax_01=doc.tax_amount("IVA"),
        tax_04=doc.tax_amount("INC"),
        tax_03=Decimal(0),
        payable=doc.totals.payable,
        supplier_nit=doc.supplier.id_number,
        customer_number=doc.customer.id_number,
        environment_code=doc.software.environment.code,
    )


def cufe(doc: Document) -> str:
    """The invoice's CUFE (technical key of its resolution)."""
    if doc.kind is not DocumentKind.INVOICE or doc.numbering is None:
        raise ValueError("a CUFE is computed for an invoice with its numbering resolution")
    return key_input(doc).hash(doc.numbering.technical_key)


def cude(doc: Document) -> str:
    """A note's CUDE (software PIN in place of the technical key)."""
    if doc.kind is DocumentKind.INVOICE:
        raise ValueError("a CUDE is computed for credit and debit notes")
    return key_input(doc).hash(doc.software.pin)


def document_key(doc: Document) -> str:
    """CUFE for an invoice, CUDE for a note: what goes in cbc:UUID."""
    return cufe(doc) if doc.kind is DocumentKind.INVOICE else cude(doc)


def software_security_code(software_id: str, pin: str, number: str) -> str:
    """SHA-384(SoftwareID + PIN + document number), sts:SoftwareSecurityCode."""
    return sha384_hex(f"{software_id}{pin}{number}")


def qr_url(key: str, environment: Environment) -> str:
    """The DIAN consultation URL of a document (sts:QRCode and the invoice's qrData)."""
    return f"{QR_HOSTS[environment]}/document/searchqr?documentkey={key}"


def qr_text(doc: Document, key: str, url: str) -> str:
    """The printed QR's text as Anexo Técnico 1.9 §11.7 lays it out (issue 25): one ``Label: value`` a line,
    NumFac, FecFac, HorFac, NitFac, DocAdq, ValFac, ValIva, ValOtroIm, ValTolFac, CUFE (the document's key,
    a note's CUDE included), and the consultation URL as QRCode. The amounts are the document's."""
    iva = doc.tax_amount("IVA")
    others = sum((t.tax_amount for t in doc.tax_totals if t.tax_type != "IVA"), Decimal("0.00"))
    return "\n".join(
        [
            f"NumFac: {doc.number}",
            f"FecFac: {doc.issue_date}",
            f"HorFac: {doc.issue_time}",
            f"NitFac: {doc.supplier.id_number}",
            f"DocAdq: {doc.customer.id_number}",
            f"ValFac: {doc.totals.line_extension:.2f}",
            f"ValIva: {iva:.2f}",
            f"ValOtroIm: {others:.2f}",
            f"ValTolFac: {doc.totals.payable:.2f}",
            f"CUFE: {key}",
            f"QRCode: {url}",
        ]
    )


# --- reading the fields back from an XML document (conformance checks, samples) ---

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def _text(root: etree._Element, path: str) -> str:
    node = root.find(path, NS)
    if node is None or node.text is None:
        raise ValueError(f"the document has no {path}")
    return node.text.strip()


def key_input_from_xml(root: etree._Element) -> KeyInput:
    """The CUFE/CUDE fields of a UBL Invoice, CreditNote or DebitNote, read from its own elements."""
    totals = "cac:RequestedMonetaryTotal" if etree.QName(root).localname == "DebitNote" else "cac:LegalMonetaryTotal"
    taxes: dict[str, Decimal] = {}
    for tax_total in root.findall("cac:TaxTotal", NS):
        scheme = tax_total.find("cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID", NS)
        if scheme is None or scheme.text is None:
            continue
        taxes[scheme.text.strip()] = taxes.get(scheme.text.strip(), Decimal(0)) + Decimal(
            _text(tax_total, "cbc:TaxAmount")
        )
    return KeyInput(
        number=_text(root, "cbc:ID"),
        issue_date=_text(root, "cbc:IssueDate"),
        issue_time=_text(root, "cbc:IssueTime"),
        line_extension=Decimal(_text(root, f"{totals}/cbc:LineExtensionAmount")),
        tax_01=taxes.get("01", Decimal(0)),
        tax_04=taxes.get("04", Decimal(0)),
        tax_03=taxes.get("03", Decimal(0)),
        payable=Decimal(_text(root, f"{totals}/cbc:PayableAmount")),
        supplier_nit=_text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"),
        customer_number=_text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"),
        environment_code=_text(root, "cbc:ProfileExecutionID"),
    )
