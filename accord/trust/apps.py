from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "accord.trust"
    label = "trust"
    verbose_name = "Trust: the audit log, and a person's data exported or erased"
