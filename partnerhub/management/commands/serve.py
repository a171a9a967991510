"""Run the web process: gunicorn serving the WSGI app, static files through WhiteNoise."""

import os
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Partner Hub with gunicorn on 127.0.0.1:$PORT (default 8000)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('PORT', '8000')}")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))

    def handle(self, *args: Any, **options: Any) -> None:
        import sys

        from gunicorn.app.wsgiapp import run

        argv = [
            "gunicorn",
            "partnerhub.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ]
        sys.argv = argv
        run()
