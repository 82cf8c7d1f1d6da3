"""Our own database backends: Django's, with what measurement showed worth changing."""
