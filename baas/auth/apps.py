from django.apps import AppConfig


class AuthConfig(AppConfig):
    name = "baas.auth"
    label = "baas_auth"
    default_auto_field = "django.db.models.BigAutoField"
