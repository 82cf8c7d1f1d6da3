from django.apps import AppConfig


class OpenApiConfig(AppConfig):
    """``GET /api/openapi.json``: the API described from the live collections."""

    name = "baas.openapi"
    label = "baas_openapi"
