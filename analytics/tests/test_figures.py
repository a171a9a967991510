"""How the license overview writes its figures: rounded, never cut off."""

import pytest
from django.utils import translation

from analytics.templatetags.analytics import figure, share


@pytest.mark.parametrize(
    ("value", "written"),
    [(4.75, "4.8"), (4.79, "4.8"), (4.74, "4.7"), (12.75, "12.8"), (0.05, "0.1"), (3.0, "3.0"), (7, "7")],
)
def test_a_mean_is_rounded_half_up_to_one_decimal(value, written):
    assert figure(value) == written


@pytest.mark.parametrize(("value", "written"), [(0.6759, "67.6 %"), (0.6749, "67.5 %"), (1.0, "100.0 %")])
def test_a_share_is_rounded_half_up_to_one_decimal(value, written):
    assert share(value) == written


def test_figures_take_the_pages_decimal_separator():
    with translation.override("de"):
        assert figure(4.75) == "4,8"
