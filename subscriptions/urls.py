from django.urls import path

from . import views

app_name = "trials"
urlpatterns = [
    path("new", views.start_trial, name="start"),
    path("<uuid:org_id>/<str:subscription_id>", views.change_trial, name="change"),
]
