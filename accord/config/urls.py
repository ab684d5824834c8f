from django.urls import include, path

from accord.config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("accord.tracking.urls")),
    path("", include("accord.web.urls")),
]
