"""URL routes: the REST API and its schema, Django admin, and the health probes."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.renderers import drf_pages_policy
from config import health, metrics
from config.contexts import drop_remote_admin_pages, runs_here
from config.token_login import TokenLogin, TokenLogout, TokenLogoutAll
from eventbus import admin_flow, peer_api

drop_remote_admin_pages(admin.site)

handler400 = "common.api.bad_request"
handler403 = "common.api.permission_denied"
handler404 = "common.api.page_not_found"
handler500 = "common.api.server_error"

urlpatterns = [
    path("api/auth/token/", TokenLogin.as_view(), name="api-token"),
    path("api/auth/token/logout/", TokenLogout.as_view(), name="api-token-logout"),
    path("api/auth/token/logoutall/", TokenLogoutAll.as_view(), name="api-token-logout-all"),
    path(
        "api/auth/login/",
        csp_override(drf_pages_policy())(LoginView.as_view(template_name="rest_framework/login.html")),
    ),
    path("api/auth/", include("rest_framework.urls")),
    *[path("api/", include(f"{context}.urls")) for context in ("orders", "payments", "shipping") if runs_here(context)],
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script from its own URL, not inline: the Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/flow/", admin.site.admin_view(admin_flow.flow_page), name="eventbus-flow"),
    path("admin/", admin.site.urls),
    path("internal/eventbus/timeline/<str:correlation_id>", peer_api.timeline_view, name="eventbus-peer-timeline"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("readyz", health.readyz, name="readyz"),
]
