from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Plan


class SetupForm(forms.Form):
    plan = forms.ChoiceField(choices=Plan.choices, label=_("Plan"))
    accept_terms = forms.BooleanField(required=True, label=_("I accept the terms and conditions"))
