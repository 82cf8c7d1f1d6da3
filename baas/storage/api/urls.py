from django.urls import path

from baas.storage.api import views

urlpatterns = [
    path("files/token", views.FileTokenView.as_view()),
    path("files/<str:collection>/<str:record_id>/<str:filename>", views.download),
]
