from django.urls import path

from baas.settings_api import apple, views

urlpatterns = [
    path("settings", views.SettingsView.as_view()),
    path("settings/test/email", views.TestEmailView.as_view()),
    path("settings/test/s3", views.TestS3View.as_view()),
    path("settings/apple/generate-client-secret", apple.AppleClientSecretView.as_view()),
]
