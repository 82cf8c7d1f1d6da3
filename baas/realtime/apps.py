from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "baas.realtime"
    label = "baas_realtime"
    default_auto_field = "django.db.models.BigAutoField"
