"""URL routes: Django admin for now; the REST API arrives with the API issue."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
