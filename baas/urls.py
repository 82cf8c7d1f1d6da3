from django.urls import include, path, re_path

from baas.api.health import health
from baas.api.views import allow_methods, not_found
from baas.collections.api import records

urlpatterns = [
    path("api/health", allow_methods("GET", "HEAD")(health)),
    # The records routes first (also in collections.api.urls; no other route matches
    # these paths): Django's resolver tries the patterns in order, ~35 before these.
    path("api/collections/<str:collection>/records", records.RecordListView.as_view()),
    path(
        "api/collections/<str:collection>/records/<str:record_id>",
        records.RecordDetailView.as_view(),
    ),
    path("api/", include("baas.auth.api.urls")),
    path("api/", include("baas.collections.api.urls")),
    path("api/", include("baas.storage.api.urls")),
    path("api/", include("baas.settings_api.urls")),
    path("api/", include("baas.logs.urls")),
    path("api/", include("baas.backups.api.urls")),
    path("api/", include("baas.graphql.urls")),
    path("api/", include("baas.openapi.urls")),
    path("api/", include("baas.webhooks.api.urls")),
    path("api/", include("baas.push.urls")),
    path("api/x/", include("baas.admin_ui.api.urls")),
    path("api/hooks/", include("baas.hooks.urls")),
    path("api/", include("baas.jobs.urls")),
    path("_/", include("baas.admin_ui.urls")),
    # Last: anything else under /api/ is the envelope's 404, even with BAAS_DEBUG on
    # (Django's debug 404 page is HTML).
    re_path(r"^api/", not_found),
]

handler400 = "baas.api.views.bad_request"
handler404 = "baas.api.views.not_found"
handler500 = "baas.api.views.server_error"
