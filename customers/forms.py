from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope

from .models import Customer, Tag


class BulkTagForm(forms.Form):
    """Add or remove one tag on the customers selected in the list."""

    tag = forms.ModelChoiceField(queryset=Tag.objects.none(), label=_("Tag"))
    action = forms.ChoiceField(choices=[("add", _("Add tag")), ("remove", _("Remove tag"))])
    org_ids = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.none(),
        to_field_name="org_id",
        label=_("Customers"),
        error_messages={"required": _("Select at least one customer.")},
    )

    def __init__(self, *args: object, scope: Scope, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["tag"].queryset = Tag.objects.visible_to(scope)  # type: ignore[attr-defined]
        self.fields["org_ids"].queryset = Customer.objects.visible_to(scope)  # type: ignore[attr-defined]


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name of this view"))
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
