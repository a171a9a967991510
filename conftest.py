"""Fixtures shared by every app's tests."""

import pytest

from accounts.tests.factories import AdminFactory, PartnerFactory


@pytest.fixture
def partner():
    return PartnerFactory()


@pytest.fixture
def full_admin(partner):
    return AdminFactory(partner=partner, role="full_admin")
