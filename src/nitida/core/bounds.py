"""Field bounds: the one place each length is decided.

Models size their columns from here, schemas validate against the same
numbers, migrations since 0005 read them, and tests/core/test_bounds.py checks
that every column filled from another is at least as wide as its source.
"""

from __future__ import annotations

EMAIL = 254  # RFC 5321's longest usable address
PERSON_NAME = 200  # a user's or a tenant's name
RAZON_SOCIAL = 450  # legal or business name of a customer
# The accent- and case-folded search key of a razón social, and every copy of
# it (invoices.customer_search): folding can lengthen a name ("…" -> "...",
# "ß" -> "ss", ligatures). Bounded in bytes too by the service, so the
# covering index of migration 0003 stays under PostgreSQL's index row limit.
SEARCH_KEY = 1800
SORT_KEY = 500
IDENTITY_NUMBER = 20  # NIT, cédula, pasaporte... as stored, without separators
DV = 1
PHONE = 50
ADDRESS = 300
PASSWORD_HASH = 255
LOGIN_PASSWORD = 256  # what a login form may send (longer is never a password)
DESCRIPTION = 500  # invoice line descriptions, void reasons
NOTES = 2000
PAYMENT_REFERENCE = 100
RESOLUTION_NUMBER = 50
PREFIX = 4
INVOICE_NUMBER = 30
TECHNICAL_KEY = 200
SEARCH_TERM = 200  # a search typed in a list's search box
AUDIT_NAME = 40  # audit entity types and actions
JOB_KIND = 80
JOB_WORKER = 120  # host:pid:thread of the worker holding a job's lease
LAST_ERROR = 4000  # the last failure of a job, as an ADMIN reads it
WEB_TOKEN = 64  # a back-office session token's SHA-256 (hex), its CSRF token
# Electronic invoicing (issue 10).
DANE_CODE = 5  # municipality code, e.g. 11001
COUNTRY_CODE = 2  # ISO 3166-1 alpha-2, e.g. US
CURRENCY_CODE = 3  # ISO 4217, e.g. USD
PLACE_NAME = 100  # a foreign city or region, as its people write it
BRAND = 100  # an exported item's brand (marca) or model (modelo)
POSTAL_CODE = 10
CODE = 10  # a DIAN code: tipo de persona, tributo, concept, payment means
ELECTRONIC_STATUS = 20
DOCUMENT_KEY = 96  # CUFE / CUDE: SHA-384 in hex
DELIVERY_TRACK_ID = 100  # the DIAN's ZipKey (a UUID) or the CUFE/CUDE
QR_DATA = 300
SOFTWARE_ID = 100
SOFTWARE_PIN = 100
TEST_SET_ID = 100
CERTIFICATE_P12_BASE64 = 200_000  # a .p12 of a few certificates, in base64
CERTIFICATE_PASSWORD = 200
CERTIFICATE_SUBJECT = 500
CERTIFICATE_SERIAL = 100
CLIENT_ADDRESS = 64  # an IPv6 address with zone, as the client address of a security event
USER_AGENT = 300  # the User-Agent of a login, cut to this length
