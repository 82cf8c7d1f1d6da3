from django.urls import path

from baas.webhooks.api import views

urlpatterns = [
    path("webhooks", views.WebhookListView.as_view()),
    path("webhooks/deliveries/<str:delivery_id>", views.DeliveryDetailView.as_view()),
    path("webhooks/deliveries/<str:delivery_id>/replay", views.DeliveryReplayView.as_view()),
    path("webhooks/<str:webhook_id>", views.WebhookDetailView.as_view()),
    path("webhooks/<str:webhook_id>/deliveries", views.WebhookDeliveriesView.as_view()),
    path("webhooks/<str:webhook_id>/test", views.WebhookTestView.as_view()),
]
