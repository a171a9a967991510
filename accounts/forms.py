from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Plan, TokenScope
from .roles import Role
from .scope import usable_token_scopes


class PlanForm(forms.Form):
    """Step 1 of the set-up wizard: review the plan the partner ordered."""

    plan = forms.ChoiceField(choices=Plan.choices, label=_("Plan"), widget=forms.RadioSelect)


class SetupForm(forms.Form):
    """Step 2 of the set-up wizard: accept the terms for the plan chosen in step 1."""

    plan = forms.ChoiceField(choices=Plan.choices, label=_("Plan"), widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(required=True, label=_("I accept the terms and conditions"))


class InviteAdminForm(forms.Form):
    """Invite a person to the partner org as an admin with a role; they set their own password."""

    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(max_length=200, required=False, label=_("Name"))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.READ_ONLY, label=_("Role"))


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class AdminActiveForm(forms.Form):
    """Deactivate (`active=0`) or reactivate (`active=1`) an admin."""

    active = forms.TypedChoiceField(
        choices=[("1", _("Reactivate")), ("0", _("Deactivate"))], coerce=lambda value: value == "1"
    )


class TokenForm(forms.Form):
    """A new API token of the signed-in admin."""

    name = forms.CharField(max_length=100, required=False, label=_("Name"))
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        initial=[TokenScope.READ],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label=_("Scopes"),
        error_messages={"required": _("Choose at least one scope.")},
    )

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the scopes some action of the admin's role needs: another would be refused anyway.
        usable = usable_token_scopes(role)
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(value, label) for value, label in TokenScope.choices if value in usable]
