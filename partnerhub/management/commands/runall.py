"""`make demo`'s last step: the web server and the worker together, stopped together by Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the web server and the background worker until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **options: Any) -> None:
        cli = [sys.executable, "-m", "partnerhub.cli"]
        processes = [
            subprocess.Popen([*cli, "serve", "--bind", f"127.0.0.1:{options['port']}", "--workers", "2"]),
            subprocess.Popen([*cli, "worker"]),
        ]
        self.stdout.write(self.style.SUCCESS(f"Partner Hub is running on http://127.0.0.1:{options['port']}/"))
        # Stopping `make demo` with SIGTERM must stop the children too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=15)
