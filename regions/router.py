"""The one place that decides which database a model's rows live in.

Control models live in `default`. Region models (apps in REGION_APP_LABELS) live in one region's
database: the instance's own database first, then the region made current at a boundary; with
neither, routing raises rather than guess, because a wrong guess writes a customer's data into
another region."""

from typing import Any

from django.db.models import Model

from .context import current_region
from .registry import CONTROL_ALIAS, db_for, is_region_alias

REGION_APP_LABELS = frozenset({"subscriptions", "inventory", "calling"})


class RegionNotChosen(RuntimeError):
    """A region model was queried with no instance, no `.using()` and no current region."""


def is_region_model(model: type[Model]) -> bool:
    return model._meta.app_label in REGION_APP_LABELS


class RegionRouter:
    def _db(self, model: type[Model], **hints: Any) -> str:
        if not is_region_model(model):
            return CONTROL_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db and is_region_alias(instance._state.db):
            return str(instance._state.db)
        region = current_region()
        if region is None:
            raise RegionNotChosen(
                f"{model.__name__} lives in a region database; use .using(db_for(region)) or region_scope(region)"
            )
        return db_for(region)

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return self._db(model, **hints)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return self._db(model, **hints)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return bool(obj1._state.db == obj2._state.db)

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if app_label in REGION_APP_LABELS:
            return is_region_alias(db)
        return db == CONTROL_ALIAS
