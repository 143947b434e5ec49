"""The DIAN code lists the electronic documents use at run time.

Codes are facts of Anexo Técnico de Factura Electrónica (Resolución 000165 de
2023); the DANE municipalities ship as package data (data/municipios.csv,
generated once from the DIAN's Municipio list, see its header line). Nothing
here reads ../shared: tests compare these lists with the DIAN's own.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from nitida.core.text import fold

# Tabla 13.2.1: tipos de documento de identidad.
IDENTIFICATION_TYPES: dict[str, str] = {
    "11": "Registro civil",
    "12": "Tarjeta de identidad",
    "13": "Cédula de ciudadanía",
    "21": "Tarjeta de extranjería",
    "22": "Cédula de extranjería",
    "31": "NIT",
    "41": "Pasaporte",
    "42": "Documento de identificación extranjero",
    "43": "Sin identificación del exterior o para uso definido por la DIAN",
    "47": "PEP (Permiso Especial de Permanencia)",
    "48": "PPT (Permiso por Protección Temporal)",
    "50": "NIT de otro país",
    "91": "NUIP",
}
NIT = "31"
# A party abroad (issue 25): its identification types, and the country code of Colombia.
FOREIGN_ID_TYPES = frozenset({"42", "43", "50"})
COLOMBIA = "CO"
COP = "COP"
# Documents only a natural person holds (a civil registry, an identity card, a passport, a permit): the
# person type follows from them. A NIT (31, 50) or a foreign identification document (42) may belong to
# a persona natural or a jurídica, so for those the person type must be asked (issue 25).
NATURAL_PERSON_ID_TYPES = frozenset({"11", "12", "13", "21", "22", "41", "47", "48", "91"})

# Tipos de organización jurídica (cbc:AdditionalAccountID).
PERSON_TYPES: dict[str, str] = {"1": "Persona jurídica", "2": "Persona natural"}

# Responsabilidades fiscales (cbc:TaxLevelCode) the DIAN still accepts.
RESPONSABILIDADES: dict[str, str] = {
    "O-13": "Gran contribuyente",
    "O-15": "Autorretenedor",
    "O-23": "Agente de retención IVA",
    "O-47": "Régimen simple de tributación",
    "R-99-PN": "No aplica – Otros",
}

NO_RESPONSABILIDAD = "R-99-PN"
# Tributos of a party (PartyTaxScheme/TaxScheme).
TRIBUTOS: dict[str, str] = {
    "01": "IVA",
    "04": "INC",
    "ZA": "IVA e INC",
    "ZZ": "No aplica",
}
# The tributos of a party responsible for IVA: only it may charge IVA (issue 25).
IVA_RESPONSABLE_TRIBUTOS = frozenset({"01", "ZA"})

# Taxes on lines and totals (TaxTotal/…/TaxScheme): our tax type -> (DIAN id, name).
TAX_SCHEMES: dict[str, tuple[str, str]] = {
    "IVA": ("01", "IVA"),
    "INC": ("04", "INC"),
}

# Formas de pago (PaymentMeans/ID).
PAYMENT_FORMS: dict[str, str] = {"1": "Contado", "2": "Crédito"}
# CodigoPrecioReferencia-2.1: the kind of value a free line's PricingReference declares (issue 25).
REFERENCE_PRICE_TYPES: dict[str, str] = {"01": "Valor comercial", "02": "Valor en inventarios", "03": "Otro valor"}

# Our payment methods (invoices.models.PaymentMethod values) -> DIAN medios de pago (PaymentMeansCode).
PAYMENT_MEANS_BY_METHOD: dict[str, str] = {
    "EFECTIVO": "10",
    "CHEQUE": "20",
    "CONSIGNACION": "42",
    "TRANSFERENCIA": "47",
    "TARJETA_CREDITO": "48",
    "TARJETA_DEBITO": "49",
    "OTRO": "ZZZ",
}
PAYMENT_MEANS: dict[str, str] = {
    "1": "Instrumento no definido",
    "10": "Efectivo",
    "20": "Cheque",
    "42": "Consignación bancaria",
    "47": "Transferencia débito bancaria",
    "48": "Tarjeta crédito",
    "49": "Tarjeta débito",
    "ZZZ": "Acuerdo mutuo",
}

# Conceptos de corrección (DiscrepancyResponse/ResponseCode).
# Concepts of a credit note as Anexo Técnico 1.9 lists them (the kit's 2019 list ends in "5 Otros": 1.9
# has no "otros", its 5 is a prompt-payment discount, and it adds 6; issue 25).
CREDIT_NOTE_CONCEPTS: dict[str, str] = {
    "1": "Devolución parcial de los bienes y/o no aceptación parcial del servicio",
    "2": "Anulación de factura electrónica",
    "3": "Rebaja o descuento parcial o total",
    "4": "Ajuste de precio",
    "5": "Descuento comercial por pronto pago",
    "6": "Descuento comercial por volumen de ventas",
}
DEBIT_NOTE_CONCEPTS: dict[str, str] = {
    "1": "Intereses",
    "2": "Gastos por cobrar",
    "3": "Cambio del valor",
    "4": "Otro",
}

# Units of measure (UN/ECE Rec. 20 as the DIAN lists them) offered for lines.
UNIT_CODES: dict[str, str] = {
    "94": "unidad",
    "NIU": "número de unidades internacionales",
    "EA": "cada",
    "KGM": "kilogramo",
    "GRM": "gramo",
    "LTR": "litro",
    "MTR": "metro",
    "MTK": "metro cuadrado",
    "MTQ": "metro cúbico",
    "HUR": "hora",
    "DAY": "día",
    "BX": "caja",
    "PR": "par",
    "SET": "conjunto",
    "KWH": "kilovatios hora",
    "ZZ": "mutuamente definido",
}
DEFAULT_UNIT_CODE = "94"

# Tipos de operación (cbc:CustomizationID).
CUSTOMIZATION_INVOICE = "10"  # estándar
# Tipos de factura (cbc:InvoiceTypeCode): 01 factura de venta, 02 factura de exportación (issue 25).
INVOICE_TYPE_SALE = "01"
INVOICE_TYPE_EXPORT = "02"
CUSTOMIZATION_CREDIT_NOTE = "20"  # nota crédito que referencia una factura electrónica
CUSTOMIZATION_DEBIT_NOTE = "30"  # nota débito que referencia una factura electrónica

# The consumidor final: a natural person, cédula type, the DIAN's reserved number.
CONSUMIDOR_FINAL_NUMBER = "222222222222"
CONSUMIDOR_FINAL_NAME = "Consumidor final"


@dataclass(frozen=True, slots=True)
class Municipio:
    code: str  # 5-digit DANE code, e.g. "11001"
    name: str
    departamento_code: str  # its first two digits
    departamento: str


@cache
def _municipios() -> dict[str, Municipio]:
    text = resources.files("nitida.vocabulary").joinpath("data/municipios.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {
        row["codigo"]: Municipio(row["codigo"], row["municipio"], row["departamento_codigo"], row["departamento"])
        for row in rows
    }


@cache
def _folded_names() -> tuple[tuple[str, Municipio], ...]:
    return tuple((fold(f"{m.name} {m.departamento}"), m) for m in _municipios().values())


def municipio(code: str) -> Municipio | None:
    """The DANE municipality with this 5-digit code, or None when the DIAN does not list it."""
    return _municipios().get(code.strip())


def all_municipios() -> tuple[Municipio, ...]:
    return tuple(_municipios().values())


def departamentos() -> dict[str, str]:
    return {m.departamento_code: m.departamento for m in _municipios().values()}


def search_municipios(query: str, limit: int = 20) -> list[Municipio]:
    """Municipalities whose name (or department) contains every word of the query, accents and case ignored.

    The exact name comes first, then names that start with the query ("cali": Cali, California,
    then Calima's neighbours that only contain it), each group by code.
    """
    folded = fold(query)
    words = folded.split()
    if not words:
        return []
    hits = [m for key, m in _folded_names() if all(w in key for w in words)]
    whole = " ".join(words)

    def rank(m: Municipio) -> tuple[bool, bool, str]:
        name = fold(m.name)
        return (name.rstrip(" .") != whole and not name.startswith(whole + ","), not name.startswith(whole), m.code)

    hits.sort(key=rank)
    return hits[:limit]


def _named(name: str) -> dict[str, str]:
    text = resources.files("nitida.vocabulary").joinpath(f"data/{name}").read_text(encoding="utf-8")
    rows = csv.DictReader(ln for ln in text.splitlines() if not ln.startswith("#"))
    return {row["codigo"]: row["nombre"] for row in rows}


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> the DIAN's Spanish name: its list Paises-2.1 (data/paises.csv, generated by
    scripts/dian_code_lists.py; issue 25)."""
    return _named("paises.csv")


@cache
def currencies() -> dict[str, str]:
    """ISO 4217 code -> the DIAN's Spanish name: its list TipoMoneda-2.1 (data/monedas.csv; issue 25)."""
    return _named("monedas.csv")


def _codes(name: str) -> frozenset[str]:
    text = resources.files("nitida.vocabulary").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return frozenset(row["codigo"] for row in csv.DictReader(ln for ln in text.splitlines() if not ln.startswith("#")))


@cache
def ciiu_codes() -> frozenset[str]:
    """The economic activities (CIIU) the DIAN accepts: its list ActividadEconomica-2.1 as its rule FAJ04
    applies it (data/ciiu.csv, generated by scripts/dian_code_lists.py; issue 25)."""
    return _codes("ciiu.csv")


@cache
def postal_codes() -> frozenset[str]:
    """The postal codes the DIAN accepts: its list CodigoPostal-2.1 and rule FAJ73 (data/codigos_postales.csv)."""
    return _codes("codigos_postales.csv")


def postal_code_problem(postal_code: str | None, municipio_code: str | None) -> str | None:
    """Why this postal code cannot go with this municipality, or None. A Colombian postal code starts with
    its department's DANE code (110231 is in Bogotá, 11; 050021 in Antioquia, 05)."""
    if not postal_code:
        return None
    if postal_code not in postal_codes():
        return f"postal code {postal_code} is not in the DIAN's list of postal codes"
    found = municipio(municipio_code) if municipio_code else None
    if found is not None and postal_code[:2] != found.departamento_code:
        return (
            f"postal code {postal_code} is not of the department of {found.name} ({found.departamento}, "
            f"{found.departamento_code}): its first two digits are its department's"
        )
    return None
