from django.urls import path

from baas.openapi import views

urlpatterns = [path("openapi.json", views.OpenApiView.as_view())]
