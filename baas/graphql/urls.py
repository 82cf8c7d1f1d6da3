from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@cache
def _view() -> Any:
    from baas.graphql.views import GraphQLView

    return GraphQLView.as_view()


@csrf_exempt
def graphql(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """graphql-core (about 11 MB a process) loads with the first GraphQL request, not
    with the URL configuration, so a server nobody asks GraphQL of never holds it."""
    response: HttpResponse = _view()(request, *args, **kwargs)
    return response


urlpatterns = [path("graphql", graphql)]
