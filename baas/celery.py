"""The Celery app: Redis broker in production, tasks run in-process when embedded."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baas.settings")

app = Celery("baas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
