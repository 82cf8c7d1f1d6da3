from django.apps import AppConfig


class AdminUiConfig(AppConfig):
    name = "baas.admin_ui"
    label = "baas_admin_ui"
    default_auto_field = "django.db.models.BigAutoField"
