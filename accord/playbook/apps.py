from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "accord.playbook"
    label = "playbook"
