"""The license overview's parameters: region and product, for the page and its exports."""

from django import forms

from customers.statuses import Product
from regions.registry import Region

from .queries import PRODUCTS

PRODUCT_CHOICES = [(value, label) for value, label in Product.choices if value in PRODUCTS]


class OverviewForm(forms.Form):
    """`region` and `product` of the overview; a missing or unknown value falls back to the
    given defaults, so a hand-edited URL shows the page rather than an error."""

    region = forms.ChoiceField(choices=Region.choices, required=False)
    product = forms.ChoiceField(choices=PRODUCT_CHOICES, required=False)

    def chosen(self, *, default_region: str) -> tuple[str, str]:
        self.is_valid()  # an invalid field is left out of cleaned_data; the other one stays
        region = self.cleaned_data.get("region") or default_region
        product = self.cleaned_data.get("product") or PRODUCTS[0]
        return region, product
