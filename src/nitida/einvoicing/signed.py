"""What a signed document says about its parties and its numbering, read back from its own XML (issue 25).

The printed form of an issued document is "print from what was signed": its issuer, buyer and resolution
are the ones the signed UBL holds, not the issuer's settings of today (a new razón social or address must
not rewrite old invoices). The signed XML is already stored with every issued invoice and note, it is the
legal document itself, and reading it covers every document issued before this module existed: no snapshot
table to fill, nothing to backfill, and no second copy that could disagree with the signature.

``as_signed`` takes the document the service rebuilds (lines, taxes and totals from the stored rows, which
the signed figures equal) and puts back the signed parties and resolution.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from lxml import etree

from nitida.einvoicing.documents import Document, Numbering, Party, Software
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import PersonType

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}
PERSON_TYPES = {"1": PersonType.JURIDICA, "2": PersonType.NATURAL}


class UnreadableSignedDocument(ValueError):
    """The stored XML lacks a part the printed form reads (it was not built by this service)."""


def _text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path, NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _party(root: etree._Element, role: str) -> Party:
    holder = root.find(f"cac:{role}", NS)
    party = holder.find("cac:Party", NS) if holder is not None else None
    scheme = party.find("cac:PartyTaxScheme", NS) if party is not None else None
    company = scheme.find("cbc:CompanyID", NS) if scheme is not None else None
    if holder is None or party is None or scheme is None or company is None or not company.text:
        raise UnreadableSignedDocument(f"the signed document has no {role} with its PartyTaxScheme/CompanyID")
    razon_social = _text(scheme, "cbc:RegistrationName") or ""
    trade_name = _text(party, "cac:PartyName/cbc:Name")
    address = party.find("cac:PhysicalLocation/cac:Address", NS)
    if address is None:
        address = scheme.find("cac:RegistrationAddress", NS)
    country = _text(address, "cac:Country/cbc:IdentificationCode") or codelists.COLOMBIA
    # A party abroad: its city and region as text, no DANE code (export invoices, issue 25).
    abroad = country != codelists.COLOMBIA
    return Party(
        person_type=PERSON_TYPES.get(_text(holder, "cbc:AdditionalAccountID") or ""),
        id_type=company.get("schemeName") or "",
        id_number=company.text.strip(),
        dv=company.get("schemeID"),
        razon_social=razon_social,
        nombre_comercial=trade_name if trade_name and trade_name != razon_social else None,
        responsabilidades=_split(_text(scheme, "cbc:TaxLevelCode")),
        tributo=_text(scheme, "cac:TaxScheme/cbc:ID") or "ZZ",
        municipio_code=_text(address, "cbc:ID"),
        address_line=_text(address, "cac:AddressLine/cbc:Line"),
        postal_code=_text(address, "cbc:PostalZone"),
        email=_text(party, "cac:Contact/cbc:ElectronicMail"),
        phone=_text(party, "cac:Contact/cbc:Telephone"),
        country_code=country,
        actividad_economica=_split(_text(party, "cbc:IndustryClassificationCode")),
        city_name=_text(address, "cbc:CityName") if abroad else None,
        region=_text(address, "cbc:CountrySubentity") if abroad else None,
    )


def _numbering(root: etree._Element, technical_key: str) -> Numbering | None:
    control = next(iter(root.iter("{*}InvoiceControl")), None)
    if control is None:
        return None
    values = {etree.QName(el).localname: (el.text or "").strip() for el in control.iter() if len(el) == 0}
    try:
        return Numbering(
            resolution_number=values["InvoiceAuthorization"],
            valid_from=date.fromisoformat(values["StartDate"]),
            valid_to=date.fromisoformat(values["EndDate"]),
            prefix=values.get("Prefix", ""),
            range_from=int(values["From"]),
            range_to=int(values["To"]),
            technical_key=technical_key,
        )
    except (KeyError, ValueError):
        raise UnreadableSignedDocument("the signed document's InvoiceControl is incomplete") from None


def signed_parties(xml: bytes) -> tuple[Party, Party]:
    """The issuer and the buyer as the signed document names them."""
    root = etree.fromstring(xml)
    return _party(root, "AccountingSupplierParty"), _party(root, "AccountingCustomerParty")


def as_signed(doc: Document, xml: bytes) -> Document:
    """``doc`` with the parties (and, for an invoice, the resolution) its signed XML holds."""
    root = etree.fromstring(xml)
    supplier = _party(root, "AccountingSupplierParty")
    customer = _party(root, "AccountingCustomerParty")
    numbering = doc.numbering
    if numbering is not None:
        numbering = _numbering(root, numbering.technical_key) or numbering
    return dataclasses.replace(
        doc, supplier=supplier, customer=customer, numbering=numbering, software=_software(root, doc.software)
    )


def _software(root: etree._Element, software: Software) -> Software:
    provider = next(iter(root.iter("{*}ProviderID")), None)
    software_id = next(iter(root.iter("{*}SoftwareID")), None)
    if provider is None or software_id is None or not provider.text or not software_id.text:
        return software
    return dataclasses.replace(
        software,
        software_id=software_id.text.strip(),
        provider_nit=provider.text.strip(),
        provider_dv=provider.get("schemeID") or software.provider_dv,
    )
