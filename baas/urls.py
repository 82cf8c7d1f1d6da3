from django.urls import include, path
from django.views.decorators.http import require_http_methods

from baas.api.health import health

urlpatterns = [
    path("api/health", require_http_methods(["GET", "HEAD"])(health)),
    path("api/", include("baas.collections.api.urls")),
]

handler404 = "baas.api.views.not_found"
handler500 = "baas.api.views.server_error"
