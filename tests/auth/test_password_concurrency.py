"""At most ``CONCURRENT_HASHES`` Argon2 hashes run at once per process (each holds its
memory_cost while it runs: 16 request threads signing in together held 300 MB), and
every caller still gets its answer: the others wait their turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from argon2 import PasswordHasher

from baas.auth import passwords

PARAMS = {"time_cost": 2, "memory_cost": 8192, "parallelism": 1}


class CountingHasher(PasswordHasher):
    """A real Argon2 hasher that records how many of its calls overlap."""

    def __init__(self) -> None:
        super().__init__(**PARAMS)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.calls = 0

    def _track(self, work: Any) -> Any:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            return work()
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        return self._track(lambda: super(CountingHasher, self).hash(password, salt=salt))  # type: ignore[no-any-return]

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        return self._track(lambda: super(CountingHasher, self).verify(hash, password))  # type: ignore[no-any-return]


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingHasher]:
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", lambda: hasher)
    yield hasher


def test_hashes_and_checks_overlap_at_most_the_bound(counting: CountingHasher) -> None:
    passwords_ = [f"password-{n}" for n in range(12)]
    with ThreadPoolExecutor(12) as pool:
        hashes = list(pool.map(passwords.hash_password, passwords_))
        right = list(pool.map(passwords.verify_password, passwords_, hashes))
        wrong = list(pool.map(passwords.verify_password, ["nope"] * 12, hashes))
    assert right == [True] * 12
    assert wrong == [False] * 12
    assert counting.calls == 36
    assert 1 <= counting.most <= passwords.CONCURRENT_HASHES


def test_a_missing_account_costs_a_check_under_the_same_bound(counting: CountingHasher) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(passwords.verify_password, ["x"] * 8, [""] * 8))
    assert answers == [False] * 8
    # the dummy hash is made once (cached), then every missing account verifies against it
    assert counting.calls >= 8
    assert 1 <= counting.most <= passwords.CONCURRENT_HASHES
