from django.urls import path

from baas.collections.api import dry_run, views

urlpatterns = [
    path("collections", views.CollectionListView.as_view()),
    path("collections/import", views.CollectionImportView.as_view()),
    path("collections/meta/scaffolds", views.ScaffoldsView.as_view()),
    path("collections/meta/dry-run-view", dry_run.DryRunViewView.as_view()),
    path("collections/<str:id_or_name>", views.CollectionDetailView.as_view()),
    path("collections/<str:id_or_name>/truncate", views.CollectionTruncateView.as_view()),
]

from baas.collections.api import aggregate, batch, records, sql  # noqa: E402

urlpatterns += [
    path("batch", batch.BatchView.as_view()),
    path("sql", sql.SqlView.as_view()),
    path("collections/<str:collection>/records", records.RecordListView.as_view()),
    path("collections/<str:collection>/aggregate", aggregate.AggregateView.as_view()),
    path(
        "collections/<str:collection>/records/<str:record_id>", records.RecordDetailView.as_view()
    ),
]
