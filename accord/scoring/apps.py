from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "accord.scoring"
    label = "scoring"

    def ready(self) -> None:
        # `accord playbook backtest`: the playbook's command sits below scoring, so scoring hands it the subcommand.
        from accord.playbook import subcommands
        from accord.scoring.management.playbook_backtest import BACKTEST

        subcommands.register(BACKTEST)
