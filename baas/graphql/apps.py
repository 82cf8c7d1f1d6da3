from django.apps import AppConfig


class GraphqlConfig(AppConfig):
    name = "baas.graphql"
    label = "baas_graphql"  # "graphql" would read as graphql-core's package
