"""A URL map for the error-page tests: Roster's own, plus a view that fails."""

from django.urls import path

from config.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401


def broken(request):
    raise RuntimeError("the database went away")


urlpatterns = [*urlpatterns, path("broken/", broken)]
