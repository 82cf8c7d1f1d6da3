"""GraphQL at ``/api/graphql`` (docs/graphql.md): a schema generated from the collections.

Built on graphql-core (the reference implementation's Python port, which strawberry and
ariadne both run on) used directly: the schema here is made at run time from
collection metadata, and graphql-core's programmatic ``GraphQLObjectType`` /
``GraphQLSchema`` API is exactly that, without strawberry's class-per-type
(annotations known at import time) or ariadne's SDL-text-plus-bindings in between.
Its validation rules are where the depth and complexity limits plug in (``limits``).

Every resolver reads and writes through ``RecordService`` with the caller's auth, and
shapes records with ``records.serialize`` (hidden fields, ``emailVisibility``), so
GraphQL shows exactly what REST would. Modules:

- ``schema``: types from collections, cached per collections' schema versions.
- ``resolvers``: list/view/nested/mutation resolvers over ``RecordService``.
- ``limits``: depth and complexity validation rules.
- ``execution``: parse, validate, execute, format errors (never a 500).
- ``views``: the HTTP endpoint; ``ws``: subscriptions (graphql-transport-ws) on the
  realtime hub, so events pass the realtime app's per-delivery rule checks.
"""
