from django.urls import path

from baas.push import views

urlpatterns = [
    path("push/devices", views.DeviceListView.as_view()),
    path("push/devices/<str:device_id>", views.DeviceDetailView.as_view()),
    path("push/send", views.SendView.as_view()),
    path("push/notifications/<str:notification_id>", views.NotificationView.as_view()),
]
