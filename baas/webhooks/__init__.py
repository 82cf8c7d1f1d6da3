"""Webhooks: signed HTTP calls on record and auth events, delivered in the background."""
