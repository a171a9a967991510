"""The one definition of the customer-list filters, shared by the page, the CSV export and the
API. What each filter means lives in CustomerQuerySet; this module only parses parameters."""

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from regions.registry import Region

from .models import Customer, Tag
from .statuses import CustomerStatus, Product

ADMIN_CHOICES = [
    ("partner", _("Managed by my partner org")),
    ("external", _("Managed by external admins")),
    ("me", _("Assigned to me")),
]
SUBSCRIPTION_TYPE_CHOICES = [("paid", _("Has paid subscription")), ("trial", _("Has trial"))]
SORT_CHOICES = [
    ("name", _("Name (A-Z)")),
    ("-name", _("Name (Z-A)")),
    ("severity", _("Most urgent status first")),
    ("expiry", _("Expiring first")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
]

# The largest id a BigAutoField holds.
_MAX_ID = 2**63 - 1

# Longer than any name (200), org id or external id (100) worth searching for, and short enough
# that a search box's URL stays far below the length web servers refuse (414).
SEARCH_MAX_LENGTH = 200


class TagIdsField(django_filters.fields.ModelMultipleChoiceField):
    """Tag ids. Django checks each value with `pk=value`, which accepts any integer, and then
    binds them all in `pk__in`, which SQLite cannot do beyond 64 bits (OverflowError, a 500):
    an integer no id can have is refused here like any unknown tag."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            try:
                out_of_range = abs(int(pk)) > _MAX_ID
            except (TypeError, ValueError):
                continue  # not a number: Django refuses it as an invalid value
            if out_of_range:
                message = self.error_messages["invalid_choice"]
                raise ValidationError(message, code="invalid_choice", params={"value": pk})
        return super()._check_values(value)


class TagFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = TagIdsField


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": _("A search has at most %(limit_value)d characters; this one has %(show_value)d.")
        },
    )
    admin = django_filters.ChoiceFilter(
        choices=ADMIN_CHOICES, method="filter_admin", label=_("Admin"), empty_label=_("Any admin")
    )
    product = django_filters.MultipleChoiceFilter(choices=Product.choices, method="filter_product", label=_("Product"))
    status = django_filters.MultipleChoiceFilter(
        choices=CustomerStatus.choices, method="filter_status", label=_("Status")
    )
    subscription_type = django_filters.ChoiceFilter(
        choices=SUBSCRIPTION_TYPE_CHOICES,
        method="filter_subscription_type",
        label=_("Subscription type"),
        empty_label=_("Any subscription"),
    )
    tag = TagFilter(queryset=Tag.objects.none(), method="filter_tag", label=_("Tag"))
    region = django_filters.ChoiceFilter(
        choices=Region.choices, method="filter_region", label=_("Region"), empty_label=_("All regions")
    )
    # No empty choice: "name" is the default order and already the first choice.
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort", label=_("Sort"), empty_label=None)

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, data: Any = None, *, scope: Scope, queryset: QuerySet[Customer] | None = None) -> None:
        self.scope = scope
        super().__init__(data, queryset=queryset if queryset is not None else Customer.objects.visible_to(scope))
        self.filters["tag"].queryset = Tag.objects.visible_to(scope)  # type: ignore[attr-defined]

    @property
    def qs(self) -> QuerySet[Customer]:
        result = super().qs
        if not (self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("sort")):
            result = result.sorted_by("name")
        return result

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.search(value)

    def filter_admin(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.managed_by(value, self.scope)

    def filter_product(self, queryset: Any, name: str, value: list[str]) -> Any:
        return queryset.with_product(*value) if value else queryset

    def filter_status(self, queryset: Any, name: str, value: list[str]) -> Any:
        return queryset.with_status(*value) if value else queryset

    def filter_subscription_type(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.with_subscription_type(value)

    def filter_tag(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset.tagged(*(tag.pk for tag in value)) if value else queryset

    def filter_region(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.in_region(value)

    def filter_sort(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.sorted_by(value)
