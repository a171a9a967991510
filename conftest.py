"""Fixtures shared by every app's tests."""

import os

import pytest

from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory


@pytest.fixture
def partner():
    return PartnerFactory()


@pytest.fixture
def full_admin(partner):
    return AdminFactory(partner=partner, role="full_admin")


@pytest.fixture
def full_scope(full_admin):
    return scope_for(full_admin)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `make test-sqlite` leaves PostgreSQL-only tests out with -m; a run that names no
    # PostgreSQL server must not fail them for being on SQLite.
    if os.environ.get("PARTNERHUB_TEST_POSTGRES"):
        return
    on_sqlite = pytest.mark.skip(reason="PostgreSQL-only behaviour; set PARTNERHUB_TEST_POSTGRES to run it")
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(on_sqlite)
