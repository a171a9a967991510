"""Deleting a tag in a real browser: the page asks first (htmx's hx-confirm, allowed by the
Content Security Policy), a refusal changes nothing, and a confirmation deletes the tag and shows
the page again with its message once, scripts included only once."""

import pytest
from playwright.sync_api import Dialog, Page, expect

from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Tag
from customers.services import create_tag
from tests.browser.session import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


@pytest.fixture
def admin():
    admin = AdminFactory(partner=PartnerFactory(), role="full_admin")
    create_tag(scope=scope_for(admin), name="vip", color="#6f42c1")
    return admin


def sign_in_to_tags(tab: Page, admin) -> None:
    sign_in(tab, admin.email, then="/customers/tags/")


def test_deleting_a_tag_asks_first_and_a_refusal_keeps_it(page: Page, admin):
    sign_in_to_tags(page, admin)
    questions: list[str] = []

    def refuse(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.get_by_role("button", name="Delete").click()

    expect(page.locator('[data-tag-row="vip"]')).to_have_count(1)
    assert questions == ["Delete the tag “vip”? Every customer carrying it loses it."]
    assert Tag.objects.filter(name="vip").exists()


def test_a_confirmed_delete_removes_the_tag_and_says_so(page: Page, admin):
    sign_in_to_tags(page, admin)
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Refused to" in message.text else None)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()

    expect(page.get_by_text("Tags updated.")).to_be_visible()
    expect(page.locator('[data-tag-row="vip"]')).to_have_count(0)
    assert page.locator("main").count() == 1
    assert page.locator("script[src*='htmx']").count() == 1
    assert not Tag.objects.filter(name="vip").exists()
    assert blocked == []
