from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "accord.campaigns"
    label = "campaigns"
