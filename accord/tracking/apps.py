from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "accord.tracking"
    label = "tracking"
