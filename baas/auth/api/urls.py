from django.urls import path

from baas.auth.api import views

urlpatterns = [
    path("collections/<str:collection>/auth-with-password", views.AuthWithPasswordView.as_view()),
    path("collections/<str:collection>/auth-refresh", views.AuthRefreshView.as_view()),
]
