"""Root URL map; see DESIGN.md for what lives where."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from scim.views import NotFoundView

urlpatterns = [
    path("admin/", admin.site.urls),
    # The SCIM base URL as admins paste it, without the slash: answered like /scim/v2/ (a SCIM
    # 404 after authentication), never APPEND_SLASH's HTML redirect or its DEBUG RuntimeError.
    path("scim/v2", NotFoundView.as_view(), name="scim-base"),
    path("scim/v2/", include("scim.urls")),
    path("sso/", include("sso.urls")),
    path("account/", include("sso.account_urls")),
]

if settings.BENCH_FLOOR:  # the benchmark's floor view (config/bench.py); off by default
    from config.bench import floor

    urlpatterns.append(path("bench/floor/", floor, name="bench-floor"))
