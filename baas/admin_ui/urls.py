"""The console at ``/_/`` (DESIGN §3: baas/admin_ui)."""

from __future__ import annotations

from django.urls import include, path
from django.views.generic.base import RedirectView

from baas.admin_ui.views import auth, auth_options, collections, docs, preview, records, settings
from baas.admin_ui.views.api_docs import api_docs
from baas.admin_ui.views.jobs import job_action, job_edit, jobs_page

urlpatterns = [
    path("", RedirectView.as_view(url="/_/collections")),
    path("login", auth.login),
    path("logout", auth.logout),
    path("install", auth.install),
    path("collections", collections.collection_list),
    path("new-collection", collections.collection_new),
    path("field-card", collections.field_card),
    path("relation-search", records.relation_search),
    path("collections/<str:name>", records.record_list),
    path("collections/<str:name>/edit", collections.collection_edit),
    path("collections/<str:name>/delete", collections.collection_delete),
    path("collections/<str:name>/truncate", collections.collection_truncate),
    path("collections/<str:name>/check-rule", collections.rule_check),
    path("collections/<str:name>/simulate", collections.rule_simulate),
    path("collections/<str:name>/sim-users", collections.simulation_users),
    path("collections/<str:name>/view-preview", collections.view_preview),
    path("collections/<str:name>/api", preview.api_preview),
    path("collections/<str:name>/auth", auth_options.auth_options),
    path("collections/<str:name>/template-preview", auth_options.template_preview),
    path("collections/<str:name>/bulk-delete", records.bulk_delete),
    path("collections/<str:name>/records/new", records.record_edit),
    path("collections/<str:name>/records/<str:record_id>", records.record_edit),
    path("collections/<str:name>/records/<str:record_id>/delete", records.record_delete),
    path(
        "collections/<str:name>/records/<str:record_id>/action/<str:action>",
        records.user_action,
    ),
    path("api-docs", api_docs),
    path("settings", settings.settings_page),
    path("settings/<str:section>", settings.settings_page),
    path("settings-test/<str:kind>", settings.settings_test),
    path("backups/<str:action>", settings.backup_action),
    path("logs", settings.logs_page),
    path("logs/clear", settings.logs_clear),
    path("logs/<str:log_id>", settings.log_detail),
    path("jobs", jobs_page),
    path("jobs/<str:job_id>", job_edit),
    path("jobs/<str:job_id>/<str:action>", job_action),
    path("", include("baas.admin_ui.webhook_urls")),  # /_/webhooks (baas.webhooks)
    path("docs", docs.docs_page),
    path("docs/", docs.docs_page),
    path("docs/<path:page>", docs.docs_page),
]
