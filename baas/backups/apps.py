from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Operations: backups and restores (wire-api §7.5), periodic jobs (§7.6), health probes."""

    name = "baas.backups"
    label = "baas_backups"
    default_auto_field = "django.db.models.BigAutoField"
