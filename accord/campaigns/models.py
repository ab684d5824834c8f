from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accord.core import clock


class Campaign(models.Model):
    """A marketing campaign on the shared calendar. Events whose utm_campaign equals `utm_campaign`
    (ignoring case) are linked to it."""

    name = models.CharField(max_length=200)
    utm_campaign = models.CharField(max_length=255, blank=True)  # stored lower-case
    channel = models.CharField(max_length=50, blank=True)  # email, paid_search, paid_social, webinar, event…
    offer = models.CharField(max_length=200, blank=True)  # the asset it promotes
    persona = models.CharField(max_length=40, blank=True)  # a playbook persona key
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    talking_points = models.TextField(blank=True)
    key_data_point = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("utm_campaign"), condition=~models.Q(utm_campaign=""), name="campaign_utm_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
