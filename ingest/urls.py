from django.urls import path

from . import views

app_name = "ingest"
urlpatterns = [path("", views.activity, name="activity"), path("upload/", views.upload, name="upload")]
