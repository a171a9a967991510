"""Help resources and partner helpdesk requests (control database)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Admin, PartnerOrg


class ResourceKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    VIDEO = "video", _("Video")
    GUIDE = "guide", _("Guide")
    RELEASE_NOTE = "release_note", _("Release note")


class Resource(models.Model):
    """A help article, video, guide or release note; shipped defaults have no partner."""

    partner = models.ForeignKey(PartnerOrg, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=ResourceKind.choices)
    products = models.CharField(max_length=200, blank=True)  # ",calling,meetings," like the directory
    topic = models.CharField(max_length=80, blank=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    url = models.URLField(blank=True)
    featured = models.BooleanField(default=False)
    quick_link = models.BooleanField(default=False)
    published_on = models.DateField(default=timezone.now)

    class Meta:
        ordering = ["-featured", "title"]

    def __str__(self) -> str:
        return self.title


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical: service down")
    HIGH = "high", _("High: major feature impaired")
    MEDIUM = "medium", _("Medium: partial impact")
    LOW = "low", _("Low: question or request")


class RequestState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class HelpdeskRequest(models.Model):
    """A partner's request to the helpdesk about one customer's Calling or Contact Center."""

    partner = models.ForeignKey(PartnerOrg, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(Admin, on_delete=models.PROTECT, related_name="+")
    org_id = models.UUIDField()
    product = models.CharField(max_length=20)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    subject = models.CharField(max_length=200)
    description = models.TextField()
    state = models.CharField(max_length=12, choices=RequestState.choices, default=RequestState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
