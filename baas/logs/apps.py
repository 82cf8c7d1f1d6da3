from django.apps import AppConfig


class LogsConfig(AppConfig):
    name = "baas.logs"
    label = "baas_logs"
    default_auto_field = "django.db.models.BigAutoField"
