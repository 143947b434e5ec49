"""Field bounds come from one place, and a column filled from another is at
least as wide as its source."""

from __future__ import annotations

from nitida.core import bounds
from nitida.customers.models import Customer
from nitida.invoices.models import Invoice

# (copy, source): the invoice keeps a snapshot of the customer at issue.
COPIES = [
    (Invoice.customer_search, Customer.razon_social_search),
    (Invoice.customer_razon_social, Customer.razon_social),
    (Invoice.customer_nit, Customer.nit),
    (Invoice.customer_dv, Customer.dv),
    (Invoice.customer_email, Customer.email),
    (Invoice.customer_direccion, Customer.direccion),
    (Invoice.customer_tipo_persona, Customer.tipo_persona),
    (Invoice.customer_tributo, Customer.tributo),
    (Invoice.customer_municipio_codigo, Customer.municipio_codigo),
    (Invoice.customer_codigo_postal, Customer.codigo_postal),
]


def test_every_copied_column_is_as_wide_as_its_source():
    for copy, source in COPIES:
        assert copy.type.length >= source.type.length, f"{copy} is narrower than {source}"


def test_the_search_key_columns_take_their_width_from_the_bounds():
    assert Customer.razon_social_search.type.length == bounds.SEARCH_KEY
    assert Invoice.customer_search.type.length == bounds.SEARCH_KEY
