"""The console's webhooks pages (``/_/webhooks``), included from ``admin_ui/urls.py``."""

from django.urls import path

from baas.admin_ui.views import webhooks

urlpatterns = [
    path("webhooks", webhooks.webhooks_page),
    path("webhooks/deliveries/<str:delivery_id>/replay", webhooks.delivery_replay),
    path("webhooks/<str:webhook_id>", webhooks.webhook_edit),
    path("webhooks/<str:webhook_id>/<str:action>", webhooks.webhook_action),
]
