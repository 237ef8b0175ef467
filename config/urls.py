"""Root URL map; README.md's Layout section says what lives where."""

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
    path("api/", include("api.urls")),
]

# Error pages in the admin's look (under /scim/v2 scim.middleware answers SCIM bodies instead).
handler403 = "config.error_pages.permission_denied"
handler404 = "config.error_pages.page_not_found"
handler500 = "config.error_pages.server_error"
if settings.BENCH_FLOOR:  # the benchmark's floor view (config/bench.py); off by default
    from config.bench import floor

    urlpatterns.append(path("bench/floor/", floor, name="bench-floor"))
