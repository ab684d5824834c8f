from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "accord.scoring"
    label = "scoring"
