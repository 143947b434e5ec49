"""Every customer of a tenant as CSV or XLSX, streamed (memory stays flat for 100,000).

The header row is the one the import reads back: an exported file, edited in
Excel, imports as it is (``Id``, ``Creado`` and ``Actualizado`` are ignored).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Row

from nitida.core.spreadsheets import Table
from nitida.vocabulary import codelists
from nitida.vocabulary.identity import TipoDocumento

HEADER = (
    "Id",
    "Razón social",
    "Tipo de documento",
    "Código DIAN tipo de documento",
    "Número de documento",
    "DV",
    "Correo electrónico",
    "Teléfono",
    "Dirección",
    "Tipo de persona",
    "Responsabilidades fiscales",
    "Tributo",
    "Código DANE municipio",
    "Municipio",
    "Departamento",
    "Código postal",
    "Estado",
    "Creado",
    "Actualizado",
)
_TIPO = {t: (t.value, t.codigo) for t in TipoDocumento}


def export_rows(rows: Iterable[Row]) -> Iterator[tuple]:
    """Rows of customers.service.COLUMNS (read by name: the export is bound by the spreadsheet, not by
    unpacking; customers.views unpacks by position for the JSON list) as the export's cells, in HEADER's order."""
    for c in rows:
        tipo_value, codigo = _TIPO[c.tipo_documento]
        place = codelists.municipio(c.municipio_codigo) if c.municipio_codigo else None
        yield (
            str(c.id),
            c.razon_social,
            tipo_value,
            codigo,
            c.nit,
            c.dv,
            c.email,
            c.telefono,
            c.direccion,
            c.tipo_persona,
            ", ".join(c.responsabilidades_fiscales or ()),
            c.tributo,
            c.municipio_codigo,
            place.name if place else None,
            place.departamento if place else None,
            c.codigo_postal,
            c.status.value,
            c.created_at,
            c.updated_at,
        )


def export_table(rows: Iterable[Row]) -> Table:
    return Table("Clientes", HEADER, export_rows(rows))
