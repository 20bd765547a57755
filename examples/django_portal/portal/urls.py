from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home),
    path("backchannel-logout", views.backchannel_logout),
    path("oidc/", include("mozilla_django_oidc.urls")),
]
