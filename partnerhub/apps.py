from django.apps import AppConfig


class PartnerHubConfig(AppConfig):
    name = "partnerhub"
    verbose_name = "Partner Hub"

    def ready(self) -> None:
        from . import schedule  # noqa: F401  (registers the periodic jobs with the worker)
