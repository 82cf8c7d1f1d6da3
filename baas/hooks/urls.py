from django.urls import path

from baas.hooks.routes import HookRouteView

urlpatterns = [path("<path:path>", HookRouteView.as_view())]
