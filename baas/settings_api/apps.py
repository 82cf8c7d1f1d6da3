from django.apps import AppConfig


class SettingsApiConfig(AppConfig):
    name = "baas.settings_api"
    label = "baas_settings_api"
    default_auto_field = "django.db.models.BigAutoField"
