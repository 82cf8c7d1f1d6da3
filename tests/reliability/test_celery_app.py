"""Every Django process queues tasks on *our* Celery app (eager when embedded, Redis in
production), not on Celery's unconfigured default app."""

from __future__ import annotations

from tests import services

PROBE = """
import django
django.setup()
from baas.storage.tasks import delete_files
from baas.backups.tasks import auto_backup
print(delete_files.app.main, auto_backup.app.main, delete_files.app.conf.task_always_eager)
"""


def test_a_django_process_binds_shared_tasks_to_the_baas_app(tmp_path):
    env = services.baas_env(BAAS_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="baas.settings")
    done = services.python_output(PROBE, env, timeout=60)
    assert done.split() == ["baas", "baas", "True"]  # embedded: eager, in-process
