"""Serve the chart library that ships inside the plotly wheel as `vendor/plotly.min.js`."""

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

_PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
_PUBLIC_NAME = "vendor/plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_PLOTLY_DIR))
        self.storage.prefix = "vendor"  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:  # Any: the base overloads on find_all
        match = str(_PLOTLY_DIR / "plotly.min.js") if path == _PUBLIC_NAME else None
        if find_all:
            return [match] if match else []
        return match or []

    def list(self, ignore_patterns: Any) -> Any:
        yield "plotly.min.js", self.storage
