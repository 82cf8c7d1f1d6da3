"""The OpenAPI 3.1 document of this instance, generated from its live collections."""
