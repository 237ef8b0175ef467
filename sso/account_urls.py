"""The member's account pages."""

from django.urls import path

from sso import account_views

app_name = "account"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("setup/", account_views.setup, name="setup"),
    path("logout/", account_views.sign_out, name="logout"),
]
