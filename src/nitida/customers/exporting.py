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
    """Rows of customers.service.COLUMNS as the export's cells, in HEADER's order."""
    for row in rows:
        (
            id_,
            _tenant,
            razon_social,
            tipo,
            nit,
            dv,
            email,
            telefono,
            direccion,
            tipo_persona,
            responsabilidades,
            tributo,
            municipio_codigo,
            codigo_postal,
            status,
            created,
            updated,
            *_,
        ) = row
        tipo_value, codigo = _TIPO[tipo]
        place = codelists.municipio(municipio_codigo) if municipio_codigo else None
        yield (
            str(id_),
            razon_social,
            tipo_value,
            codigo,
            nit,
            dv,
            email,
            telefono,
            direccion,
            tipo_persona,
            ", ".join(responsabilidades or ()),
            tributo,
            municipio_codigo,
            place.name if place else None,
            place.departamento if place else None,
            codigo_postal,
            status.value,
            created,
            updated,
        )


def export_table(rows: Iterable[Row]) -> Table:
    return Table("Clientes", HEADER, export_rows(rows))
