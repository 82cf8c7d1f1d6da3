"""Jobs tests reuse the hooks directory fixtures and the webhooks' loopback receiver."""

from tests.hooks.conftest import hooks_dir, posts, write_hook  # noqa: F401
from tests.webhooks.conftest import receiver  # noqa: F401
