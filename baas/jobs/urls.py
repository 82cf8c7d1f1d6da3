from django.urls import path

from baas.jobs.api import views

urlpatterns = [
    path("jobs", views.JobListView.as_view()),
    path("jobs/<str:job_id>", views.JobDetailView.as_view()),
    path("jobs/<str:job_id>/run", views.JobRunView.as_view()),
]
