from django.urls import path

from accord.tracking import views

urlpatterns = [
    path("v1/<str:name>", views.endpoint, name="tracking_endpoint"),
]
