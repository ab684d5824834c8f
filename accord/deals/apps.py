from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "accord.deals"
    label = "deals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.contacts import signals
        from accord.deals import receivers

        signals.merged.connect(receivers.contact_merged, dispatch_uid="deals.contact_merged")
