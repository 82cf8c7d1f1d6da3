import pytest

from baas.settings_api import service


@pytest.fixture(autouse=True)
def _fresh_settings():
    """The process cache outlives each test's rolled-back transaction."""
    service.forget()
    yield
    service.forget()


@pytest.fixture(autouse=True)
def _no_leftover_entries():
    from baas.logs import writer

    writer.discard()
    yield
    writer.discard()
