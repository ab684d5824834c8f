from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "accord.campaigns"
    label = "campaigns"

    def ready(self) -> None:
        from accord.campaigns.audiences import campaign_owners
        from accord.notify.audiences import marketing_owner_finder

        marketing_owner_finder(campaign_owners)
