"""Spanish-aware text keys: what search and ordering compare, not what is shown."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case- and accent-insensitive form for searching: "Papelería Nítida" -> "papeleria nitida".

    ñ folds to n as well, because people type "Penalosa" when they mean "Peñalosa".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def spanish_sort_key(text: str) -> str:
    """Byte-comparable key ordering names as a Spanish reader expects.

    Accents and case are ignored ("Álvarez" sits between "Alba" and "Beltrán"),
    but ñ is its own letter after n: "Peña" follows "Penz" and precedes "Peo".
    "~" sorts after every ASCII letter and digit, which places "n~" right after "nz…".
    Compared with the C collation on PostgreSQL and BINARY on SQLite.
    """
    marked = text.casefold().replace("ñ", "n~").replace("n\u0303", "n~")
    return fold(marked)
