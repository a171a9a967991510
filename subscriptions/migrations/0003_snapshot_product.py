"""License snapshots carry their line's product, so the analytics trend needs no join (issue 5)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_line_products(apps, schema_editor):
    # A region app's data lives in the alias being migrated, never in `default`.
    alias = schema_editor.connection.alias
    LicenseLine = apps.get_model("subscriptions", "LicenseLine")
    LicenseSnapshot = apps.get_model("subscriptions", "LicenseSnapshot")
    product = LicenseLine.objects.using(alias).filter(pk=OuterRef("line_id")).values("product")[:1]
    LicenseSnapshot.objects.using(alias).update(product=Subquery(product))


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_trial_contact"),
    ]

    operations = [
        migrations.AddField(
            model_name="licensesnapshot",
            name="product",
            field=models.CharField(
                choices=[
                    ("meetings", "Meetings"),
                    ("calling", "Calling"),
                    ("messaging", "Messaging"),
                    ("translation", "Real-time translation"),
                    ("contact_center", "Contact Center"),
                ],
                default="",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_line_products, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="licensesnapshot",
            index=models.Index(
                fields=["partner_id", "product", "week_on", "quantity", "assigned", "used"],
                name="snapshot_partner_trend",
            ),
        ),
        migrations.AddIndex(
            model_name="licensesnapshot",
            index=models.Index(
                fields=["org_id", "product", "week_on", "quantity", "assigned", "used"], name="snapshot_org_trend"
            ),
        ),
    ]
