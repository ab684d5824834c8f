from django.urls import path

from accord.tracking import snippet, views

urlpatterns = [
    path("v1/<str:name>", views.endpoint, name="tracking_endpoint"),
    path("t.js", snippet.snippet, name="tracking_snippet"),
]
