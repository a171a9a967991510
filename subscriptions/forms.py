from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from customers.models import Customer
from customers.statuses import Product
from regions.registry import Region

from .rules import TRIAL_LENGTHS


class StartTrialForm(forms.Form):
    """Start a trial for an existing customer, or for a new one described here."""

    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(),
        required=False,
        to_field_name="org_id",
        label=_("Existing customer"),
        empty_label=_("— a new customer —"),
    )
    name = forms.CharField(max_length=200, required=False, label=_("New customer name"))
    admin_email = forms.EmailField(required=False, label=_("Customer admin e-mail"))
    region = forms.ChoiceField(choices=Region.choices, required=False, label=_("Region"))
    products = forms.MultipleChoiceField(
        choices=Product.choices, widget=forms.CheckboxSelectMultiple, label=_("Products")
    )
    licenses = forms.IntegerField(min_value=1, max_value=100_000, initial=25, label=_("Licenses"))
    days = forms.TypedChoiceField(
        choices=[(d, _("%(days)d days") % {"days": d}) for d in TRIAL_LENGTHS],
        coerce=int,
        initial=30,
        label=_("Length"),
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.visible_to(scope).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("customer") is None:
            missing = [f for f in ("name", "admin_email", "region") if not data.get(f)]
            for field in missing:
                self.add_error(field, _("Required for a new customer."))
        return data
