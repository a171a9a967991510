"""The `partnerhub` console script: a thin wrapper over Django management commands."""

import os
import sys

# Commands whose name differs from the Django management command they run.
ALIASES = {"migrate": "migrate_all", "serve": "serve", "worker": "run_huey"}
USAGE = """usage: partnerhub COMMAND [options]

commands:
  serve        run the web server (gunicorn) on 127.0.0.1:$PORT (default 8000)
  worker       run the background worker and the periodic schedule
  migrate      create or update the control database and every region database
  demo         load the deterministic demo data set (--customers N --seed S)
  createadmin  create an admin of a partner org (--email --partner --role)
  token        create an API token: token create --email E --scopes read,write,ingest
  ingest       load data from a file (see `partnerhub ingest --help`)

Any other Django management command works too (`partnerhub help` lists them)."""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerhub.settings.dev")
    from django.core.management import execute_from_command_line

    command = ALIASES.get(args[0], args[0])
    execute_from_command_line(["partnerhub", command, *args[1:]])


if __name__ == "__main__":
    main()
