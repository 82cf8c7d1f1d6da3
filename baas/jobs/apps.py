from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Scheduled jobs defined in the database: cron schedules for hook functions,
    webhook calls and retention (issue #11)."""

    name = "baas.jobs"
    label = "baas_jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import baas.celery  # noqa: F401 - our Celery app is the current one (see baas.backups)
