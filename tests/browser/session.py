"""Signing in as the browser tests' admins do: through the sign-in page, as a person would."""

from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD


def sign_in(page: Page, email: str, then: str | None = None) -> None:
    """Sign in with the factories' password, wait for the home page, then open `then` if given."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url("/")
    if then is not None:
        page.goto(then)
