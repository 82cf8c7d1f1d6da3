from django.urls import path

from baas.backups.api import views

urlpatterns = [
    path("backups", views.BackupListView.as_view()),
    path("backups/upload", views.BackupUploadView.as_view()),
    path("backups/<str:key>", views.BackupDetailView.as_view()),
    path("backups/<str:key>/restore", views.BackupRestoreView.as_view()),
    path("crons", views.CronListView.as_view()),
    path("crons/<str:job_id>", views.CronRunView.as_view()),
]
