from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Operations: backups and restores (wire-api §7.5), periodic jobs (§7.6), health probes."""

    name = "baas.backups"
    label = "baas_backups"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Fix (found by the crons tests): ``@shared_task``s bind to Celery's *current*
        # app, and a ``baas serve`` worker never imported ``baas.celery``, so every
        # ``.delay()`` went to Celery's unconfigured default app (amqp://localhost): not
        # eager when embedded, not Redis in production. File deletions after a record
        # delete were silently lost (the sweep's grace later), cron runs never ran.
        # Importing our app here makes it the current one in every Django process.
        import baas.celery  # noqa: F401
