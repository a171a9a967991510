from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("setup/", views.setup_wizard, name="setup"),
]
