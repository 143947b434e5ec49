"""A customer as the API's JSON: the one way a customer becomes JSON.

``customer_json`` has exactly the shape of ``CustomerRead`` (the documented
model; a test holds them equal) and is fast enough for a list of 100,000:
rows are unpacked by position and enums looked up in tables, not validated twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from fastapi import Response, status
from sqlalchemy import Row

from nitida.core.schemas import local_iso
from nitida.customers.models import CustomerStatus
from nitida.customers.service import COLUMNS
from nitida.vocabulary.codelists import countries
from nitida.vocabulary.fiscal import place
from nitida.vocabulary.identity import TipoDocumento

_STREAM_BATCH = 500

# Enum members to their API strings, looked up once per row instead of
# through the enum properties (the whole list formats 100,000 rows).
# Keyed by member and by stored name: the whole list passes the stored
# strings as they are (customers.search._stream_columns).
_TIPO_JSON = {key: (t.value, t.codigo) for t in TipoDocumento for key in (t, t.name)}
_STATUS_JSON = {key: s.value for s in CustomerStatus for key in (s, s.name)}


def customer_json(c: Any) -> dict[str, Any]:
    """A customer (ORM object, or row starting with COLUMNS) as the API's JSON object."""
    if not isinstance(c, Row):
        c = tuple(getattr(c, column.key) for column in COLUMNS)
    # Unpacked by position: a fraction of 12 lookups by name when a list
    # formats 100,000 rows. Extra trailing columns (keyset keys) are ignored.
    (
        id_,
        tenant_id,
        razon_social,
        tipo,
        nit,
        dv,
        email,
        telefono,
        direccion,
        *fiscal,
        status,
        created_at,
        updated_at,
    ) = c[: len(COLUMNS)]
    (
        tipo_persona,
        responsabilidades,
        tributo,
        municipio_codigo,
        codigo_postal,
        pais_codigo,
        ciudad_exterior,
        region_exterior,
    ) = fiscal
    if isinstance(responsabilidades, str):
        # The stored JSON as PostgreSQL sends it to the whole list (customers.search._row_columns):
        # embedded as it is by orjson, not parsed and serialised again.
        responsabilidades = orjson.Fragment(responsabilidades)
    municipio, departamento = place(municipio_codigo)
    tipo_value, tipo_codigo = _TIPO_JSON[tipo]
    created = local_iso(created_at)
    return {
        "id": str(id_),
        "tenantId": str(tenant_id),
        "razonSocial": razon_social,
        "tipoDocumento": tipo_value,
        "tipoDocumentoCodigo": tipo_codigo,
        "nit": nit,
        "dv": dv,
        "email": email,
        "telefono": telefono,
        "direccion": direccion,
        "status": _STATUS_JSON[status],
        "tipoPersona": tipo_persona,
        "responsabilidadesFiscales": responsabilidades,
        "tributo": tributo,
        "municipioCodigo": municipio_codigo,
        "municipio": municipio,
        "departamento": departamento,
        "codigoPostal": codigo_postal,
        "paisCodigo": pais_codigo,
        "pais": countries().get(pais_codigo),
        "ciudadExterior": ciudad_exterior,
        "regionExterior": region_exterior,
        "createdAt": created,
        # A customer never edited has updated_at == created_at: one conversion.
        "updatedAt": created if updated_at == created_at else local_iso(updated_at),
    }


def customer_response(customer: Any, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(orjson.dumps(customer_json(customer)), status_code=status_code, media_type="application/json")


def customers_page(rows: Iterable[Any]) -> bytes:
    return orjson.dumps([customer_json(row) for row in rows])


def customers_stream(rows: Iterable[Any]) -> Iterator[bytes]:
    """A JSON array sent in batches, so memory stays flat however long the list."""
    yield b"["
    first = True
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(customer_json(row))
        if len(batch) >= _STREAM_BATCH:
            # One orjson call per batch: the array's brackets are dropped, the
            # batches are joined by commas.
            yield (b"" if first else b",") + orjson.dumps(batch)[1:-1]
            first, batch = False, []
    if batch:
        yield (b"" if first else b",") + orjson.dumps(batch)[1:-1]
    yield b"]"
