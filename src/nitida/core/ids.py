from __future__ import annotations

import uuid


def parse_id(raw: str) -> uuid.UUID | None:
    """A path id as a UUID, or None: a malformed id is answered like an unknown one (404)."""
    try:
        return uuid.UUID(raw)
    except (ValueError, AttributeError, TypeError):
        return None
