"""Jobs tests reuse the hooks directory fixtures."""

from tests.hooks.conftest import hooks_dir, posts, write_hook  # noqa: F401
