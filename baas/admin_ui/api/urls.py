from django.urls import path

from baas.admin_ui.api import views

urlpatterns = [
    path("rules/check", views.RuleCheckView.as_view()),
    path("rules/preview", views.RulePreviewView.as_view()),
    path("views/preview", views.ViewPreviewView.as_view()),
]
