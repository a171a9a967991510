"""Template helpers of the license overview: shares, changes and "n/a"."""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


def _one_decimal(value: float) -> str:
    """`value` rounded half up to one decimal, in the page's number format. Django's own
    formatting cuts a float's further decimals off (4.75 and 4.79 would both read 4.7), so a page
    would disagree with the export's full figure rounded."""
    return number_format(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), 1)


@register.filter
def share(value: float | None) -> str:
    """0.675 -> "67.5 %"; None -> "n/a" (there was nothing to divide by), never "0 %"."""
    if value is None:
        return _("n/a")
    return f"{_one_decimal(value * 100)} %"


@register.filter
def change(value: int | None) -> str:
    """A week-over-week change with its sign: +3, -2, 0; None -> "n/a"."""
    if value is None:
        return _("n/a")
    return f"+{value}" if value > 0 else str(value)


@register.filter
def figure(value: float | int | None) -> str:
    """A count or a mean (one decimal); None -> "n/a"."""
    if value is None:
        return _("n/a")
    if isinstance(value, float):
        return _one_decimal(value)
    return str(value)


@register.filter
def by_month(values: Sequence[float | None], months: Sequence[date]) -> list[tuple[date, float | None]]:
    """Pair monthly values with their months; months without a value get None."""
    return [(month, values[index] if index < len(values) else None) for index, month in enumerate(months)]
