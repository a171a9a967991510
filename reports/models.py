"""Report templates, runs and schedules (control database). Runs record who asked, state and
counts; the files themselves are written under the region's own storage folder."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Admin, PartnerOrg
from regions.registry import Region


class ReportKind(models.TextChoices):
    CALLING_USAGE = "calling_usage", _("Calling usage detail")
    DEVICES = "devices", _("Device report")
    NUMBERS = "numbers", _("Phone number report")


class ReportTemplate(models.Model):
    """A default report (partner empty) or a partner's custom template derived from one."""

    partner = models.ForeignKey(PartnerOrg, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    columns = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    org_ids = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    tag_ids = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    default_range_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(Admin, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="unique_template_name_per_partner")]

    def __str__(self) -> str:
        return self.name


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportSchedule(models.Model):
    """Run a template every day, week or month at a UTC time, on behalf of its owner."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.CASCADE, related_name="schedules")
    partner = models.ForeignKey(PartnerOrg, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="report_schedules")
    region = models.CharField(max_length=3, choices=Region.choices)
    frequency = models.CharField(max_length=7, choices=Frequency.choices)
    at_time = models.TimeField()
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)  # 0 = Monday, for weekly
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)  # 1-28, for monthly
    next_run_at = models.DateTimeField(db_index=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.template} {self.frequency} at {self.at_time:%H:%M} UTC"


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReportRun(models.Model):
    """One generation of a report file: its state, size and row count, never its rows."""

    template = models.ForeignKey(ReportTemplate, on_delete=models.PROTECT, related_name="runs")
    partner = models.ForeignKey(PartnerOrg, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="report_runs")
    schedule = models.ForeignKey(ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    region = models.CharField(max_length=3, choices=Region.choices)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=RunState.choices, default=RunState.QUEUED)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "created_at"])]

    def __str__(self) -> str:
        return f"{self.template} run {self.pk} ({self.state})"
