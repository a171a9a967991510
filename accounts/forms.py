from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Plan


class PlanForm(forms.Form):
    """Step 1 of the set-up wizard: review the plan the partner ordered."""

    plan = forms.ChoiceField(choices=Plan.choices, label=_("Plan"), widget=forms.RadioSelect)


class SetupForm(forms.Form):
    """Step 2 of the set-up wizard: accept the terms for the plan chosen in step 1."""

    plan = forms.ChoiceField(choices=Plan.choices, label=_("Plan"), widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(required=True, label=_("I accept the terms and conditions"))
