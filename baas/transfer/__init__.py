"""Moving data in and out: ``baas export`` / ``baas import`` and ``baas import-pocketbase``.

``importer`` loads collections (through ``SchemaService``) and raw records (through the
record store, ids, dates, password hashes and token keys kept) in one transaction;
``export`` writes the format ``importer`` reads; ``pocketbase`` reads a PocketBase
data directory (read-only) into the same loader.
"""
