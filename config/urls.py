"""Root URL map; see DESIGN.md for what lives where."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
