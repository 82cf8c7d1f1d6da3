from django.urls import path

from baas.logs import views

urlpatterns = [
    path("logs", views.LogListView.as_view()),
    path("logs/stats", views.LogStatsView.as_view()),
    path("logs/<str:log_id>", views.LogDetailView.as_view()),
]
