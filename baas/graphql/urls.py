from django.urls import path

from baas.graphql.views import GraphQLView

urlpatterns = [path("graphql", GraphQLView.as_view())]
