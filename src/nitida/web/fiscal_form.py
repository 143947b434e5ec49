"""The fiscal fields shared by the customer form and the business's fiscal data form.

The municipality is one text field: a DANE code ("05001"), the typeahead's choice
("05001 · Medellín (Antioquia)") or a name that names exactly one municipality.
Without JavaScript a person types the name or the code and submits; with htmx the
field suggests names as they type (a <datalist>). The code is validated by the
services' own field types (nitida.vocabulary.fields); here it is only read.
"""

from __future__ import annotations

import re
from typing import Any

from nitida.core.text import fold
from nitida.vocabulary import codelists

_LEADING_CODE = re.compile(r"^\s*(\d{5})\b")
SUGGESTIONS = 15


def municipio_text(code: str | None) -> str:
    """How a stored code shows in the field: "05001 · Medellín (Antioquia)"."""
    if not code:
        return ""
    found = codelists.municipio(code)
    return f"{found.code} · {place_name(found)}" if found else code


def place_name(found: codelists.Municipio) -> str:
    """ "Medellín (Antioquia)"; the DIAN's list writes "Bogotá, D.c.", people write "Bogotá, D.C."."""
    return f"{found.name.replace('D.c.', 'D.C.')} ({found.departamento})"


def municipio_code(text: str) -> str | None:
    """The DANE code a person meant; the text itself when it names no single municipality
    (the service's validation then says what is wrong)."""
    text = text.strip()
    if not text:
        return None
    leading = _LEADING_CODE.match(text)
    if leading:
        return leading[1]
    hits = codelists.search_municipios(text, limit=SUGGESTIONS)
    exact = [m for m in hits if fold(m.name).rstrip(" .") == fold(text).rstrip(" .")]
    if len(exact) == 1:
        return exact[0].code
    if len(hits) == 1:
        return hits[0].code
    return text


def municipio_error(text: str) -> str | None:
    """The Spanish message for a name that is not one municipality (None when it is, or is a code)."""
    code = municipio_code(text)
    if code is None or code.isdigit():
        return None
    hits = codelists.search_municipios(text, limit=2)
    if not hits:
        return "No encontramos ese municipio: escribe su nombre o su código DANE (p. ej. 11001)."
    return "Hay varios municipios con ese nombre: elige uno de la lista o escribe su código DANE."


def suggestions(text: str) -> list[codelists.Municipio]:
    return codelists.search_municipios(text, limit=SUGGESTIONS) if len(text.strip()) >= 2 else []


def country_options() -> list[tuple[str, str]]:
    """The DIAN's countries for a select: Colombia first, then by name as Spanish sorts it (issue 25)."""
    others = sorted(
        ((code, name) for code, name in codelists.countries().items() if code != codelists.COLOMBIA),
        key=lambda item: fold(item[1]),
    )
    return [(codelists.COLOMBIA, codelists.countries()[codelists.COLOMBIA]), *others]


def responsabilidades_options() -> list[tuple[str, str]]:
    return list(codelists.RESPONSABILIDADES.items())


def tributo_options() -> list[tuple[str, str]]:
    return list(codelists.TRIBUTOS.items())


def checked(form: Any, name: str) -> list[str]:
    """The ticked checkboxes ``name`` of a posted form."""
    return [v for v in form.getlist(name) if isinstance(v, str)]
