from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "accord.contacts"
    label = "contacts"

    def ready(self) -> None:
        # The playbook sits below contacts: it asks, through this registration, which stages contacts are in.
        from accord.contacts.queries import stage_counts
        from accord.playbook import usage

        usage.register(stage_counts)
