from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "accord.reporting"
    label = "reporting"
