"""JSON columns are parsed by orjson (core.db._json_loads): the same values the
standard library gives, big integers included, on both engines."""

from __future__ import annotations

import json
import uuid

import pytest

from nitida.audit import service as audit
from nitida.core.db import _json_loads

DOCUMENTS = [
    '["R-99-PN", "O-13"]',
    '{"razonSocial": {"from": null, "to": "Ñandú Ltda."}}',
    '{"n": 123456789012345678901234567890, "m": -9223372036854775809}',
    '{"x": 1.1, "y": 1e-7, "z": 18446744073709551615}',
    '{"a": 1, "a": 2}',
    '"texto con \\u00f1"',
    "[]",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_json_columns_parse_as_the_standard_library_does(document):
    assert _json_loads(document) == json.loads(document)
    assert _json_loads(document.encode()) == json.loads(document)
    assert type(_json_loads(document)) is type(json.loads(document))


def test_a_big_integer_in_an_audit_record_comes_back_exact(database, tenant):
    entity_id = uuid.uuid4()
    big = 2**70 + 1
    with database.unit_of_work(tenant.id) as session:
        audit.record_now(
            session, None, entity_type="probe", entity_id=entity_id, action="CREATED", changes={"n": {"to": big}}
        )
    with database.tenant_session(tenant.id) as session:
        (event,) = audit.history(session, entity_type="probe", entity_id=entity_id)
        assert event.changes == {"n": {"to": big}}
        assert event.tenant_id == tenant.id and event.actor_user_id is None
