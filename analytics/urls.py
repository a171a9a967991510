from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.licenses, name="licenses"),
    path("export/<str:section>.csv", views.license_export, name="license_export"),
]
