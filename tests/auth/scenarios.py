"""Scenario tables for API tests (STYLE §10): one row = request, expected status and body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Scenario:
    name: str
    method: str
    url: str
    status: int
    body: Any = None
    auth: str | None = None  # a key of the ``tokens`` mapping given to ``run``
    contains: dict[str, Any] = field(default_factory=dict)  # dotted path -> expected value
    absent: list[str] = field(default_factory=list)  # dotted paths that must not exist

    def __str__(self) -> str:
        return self.name


def dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(path)
    return data


def run(api: Any, scenario: Scenario, tokens: dict[str, str | None] | None = None) -> Any:
    token = (tokens or {}).get(scenario.auth) if scenario.auth else None
    response = api.request(scenario.method, scenario.url, json=scenario.body, token=token)
    assert response.status_code == scenario.status, (scenario.name, response.content)
    data = orjson.loads(response.content) if response.content else None
    for path, expected in scenario.contains.items():
        assert dig(data, path) == expected, (scenario.name, path, data)
    for path in scenario.absent:
        try:
            dig(data, path)
        except KeyError:
            continue
        raise AssertionError((scenario.name, f"{path} should be absent", data))
    return data
