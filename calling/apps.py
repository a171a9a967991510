from django.apps import AppConfig


class CallingConfig(AppConfig):
    name = "calling"
    verbose_name = "Calling"
