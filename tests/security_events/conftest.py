from __future__ import annotations

import pytest

from fixtures.common import SECRET
from nitida.core.settings import get_settings


@pytest.fixture
def cli_env(monkeypatch, database_url, database):
    monkeypatch.setenv("NITIDA_DATABASE_URL", database_url)
    monkeypatch.setenv("NITIDA_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
