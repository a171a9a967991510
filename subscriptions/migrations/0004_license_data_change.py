"""A change token for the region's license data, set by triggers on every write (issue 5): the
license overview keeps what it works out from these tables only while the token stands."""

from django.db import migrations, models

TABLE = "subscriptions_license_data_change"
WATCHED = ("subscriptions_subscription", "subscriptions_licenseline", "subscriptions_licensesnapshot")
EVENTS = ("insert", "update", "delete")
FUNCTION = "subscriptions_license_data_changed"


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # Statement triggers: a bulk load of a million snapshots sets the token once.
        schema_editor.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO {TABLE} (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text)) "
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token; RETURN NULL; END $$"
        )
        for table in WATCHED:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )
    elif connection.vendor == "sqlite":
        # SQLite has row triggers only; each is one small write to the one token row. No conflict
        # clause: an upsert's own ON CONFLICT would override it inside the trigger.
        for table in WATCHED:
            for event in EVENTS:
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_{event}_changed AFTER {event.upper()} ON {table} BEGIN "
                    f"INSERT INTO {TABLE} (id, token) SELECT 1, '' WHERE NOT EXISTS (SELECT 1 FROM {TABLE}); "
                    f"UPDATE {TABLE} SET token = lower(hex(randomblob(16))); END"
                )
    else:
        raise NotImplementedError(f"license data triggers support SQLite and PostgreSQL, not {connection.vendor}")


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for table in WATCHED:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    else:
        for table in WATCHED:
            for event in EVENTS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_changed")


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0003_snapshot_product"),
    ]

    operations = [
        migrations.CreateModel(
            name="LicenseDataChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
            options={"db_table": TABLE},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
