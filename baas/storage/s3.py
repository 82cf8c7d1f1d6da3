"""botocore settings for the S3 storage (imported by settings: keep it free of Django).

django-storages ignores ``addressing_style`` and ``signature_version`` once a
``client_config`` is given, so they are set here too. Short connect timeouts and few
retries make an unreachable S3 a quick 503 instead of a request hanging for minutes.
"""

from __future__ import annotations

from botocore.config import Config


def client_config(
    connect_timeout: float = 5, read_timeout: float = 60, attempts: int = 3, path_style: bool = True
) -> Config:
    return Config(
        s3={"addressing_style": "path" if path_style else "auto"},
        signature_version="s3v4",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": attempts, "mode": "standard"},
    )
