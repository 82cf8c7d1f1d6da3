"""OAuth2 sign-in through django-allauth's provider classes, configured per auth collection."""
