from django.apps import AppConfig


class HooksConfig(AppConfig):
    """Server-side hooks: record events, auth, custom routes, job functions (issue #11)."""

    name = "baas.hooks"
    label = "baas_hooks"

    def ready(self) -> None:
        import baas.celery  # noqa: F401 - our Celery app is the current one (see baas.backups)
        from baas.collections.records.events import record_changed
        from baas.collections.records.steps import register_step
        from baas.hooks.records import HookStep, on_record_changed

        register_step(HookStep())
        record_changed.connect(on_record_changed, dispatch_uid="baas_hooks_records")
