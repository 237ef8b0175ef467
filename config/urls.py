"""Root URL map; see DESIGN.md for what lives where."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/v2/", include("scim.urls")),
    path("sso/", include("sso.urls")),
    path("account/", include("sso.account_urls")),
]
