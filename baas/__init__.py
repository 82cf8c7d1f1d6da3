"""baas: a self-hostable Backend-as-a-Service, wire-compatible with PocketBase's Web API."""

__version__ = "0.1.0"
