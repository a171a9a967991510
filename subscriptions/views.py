"""Trial pages: start a trial (existing or new customer), and extend, end or convert one."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import scoped_view
from accounts.middleware import PortalRequest
from accounts.roles import Permission
from accounts.views import unknown_action
from customers.models import Customer

from . import services
from .forms import StartTrialForm
from .models import Subscription


@require_http_methods(["GET", "POST"])
@scoped_view
def start_trial(request: PortalRequest) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    scope.require(Permission.MANAGE_TRIALS)
    initial = {"customer": request.GET.get("customer")} if request.GET.get("customer") else None
    form = StartTrialForm(request.POST or None, initial=initial, scope=scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = None
        if data["customer"] is None:
            new = services.NewCustomer(name=data["name"], admin_email=data["admin_email"], region=data["region"])
        try:
            trial = services.start_trial(
                scope=scope,
                customer=data["customer"],
                new_customer=new,
                products=data["products"],
                licenses=data["licenses"],
                days=data["days"],
                today=timezone.now().date(),
            )
        except services.TrialRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Trial %(id)s started.") % {"id": trial.subscription_id})
            return redirect(f"/customers/{trial.org_id}/?tab=trials")
    return render(request, "subscriptions/start_trial.html", {"form": form})


@require_POST
@scoped_view
def change_trial(request: PortalRequest, org_id: uuid.UUID, subscription_id: str) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=org_id)
    action = request.POST.get("action", "")
    done = {
        "extend": _("Trial extended to %(end)s."),
        "end": _("Trial ended."),
        "convert": _("Converted to paid subscription %(sub)s."),
    }
    if action not in done:
        return unknown_action(action)
    try:
        result = services.change_trial(
            scope=scope, customer=customer, subscription_id=subscription_id, action=action, today=timezone.now().date()
        )
    except Subscription.DoesNotExist as missing:
        raise Http404("no such trial") from missing
    except services.TrialRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done[action] % {"end": result.end_on, "sub": result.subscription_id})
    return redirect(f"/customers/{customer.org_id}/?tab=trials")
