"""Template helpers of the portal frame."""

from django import forms
from django.template import Context, Template


class _Form(forms.Form):
    name = forms.CharField(max_length=3)


def _errors_of(form: forms.Form) -> str:
    return Template("{% load portal %}{% field_errors form.name %}").render(Context({"form": form}))


def test_a_fields_errors_carry_the_id_its_widget_points_to():
    form = _Form(data={"name": "toolong"})

    assert f'aria-describedby="{form["name"].auto_id}_error"' in str(form["name"])
    assert _errors_of(form) == (
        '<div class="invalid-feedback d-block" id="id_name_error">'
        "Ensure this value has at most 3 characters (it has 7).</div>"
    )


def test_a_valid_field_has_no_errors_element():
    assert _errors_of(_Form(data={"name": "ok"})) == ""
