"""Content sniffing shares a small pool of libmagic handles (storage/sniff.py): many
threads at once get the right answers from at most ``HANDLES`` handles."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import magic
import pytest

from baas.storage import sniff


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, format="PNG")
    return out.getvalue()


SAMPLES = {
    _png(): "image/png",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n": "application/pdf",
    b"hello plain words here\n" * 20: "text/plain",
    b"": sniff.OCTET_STREAM,
}


def test_many_threads_share_at_most_handles_handles(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = magic.Magic

    def counted(*args: object, **kwargs: object) -> magic.Magic:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sniff, "_free", queue.LifoQueue())
    monkeypatch.setattr(sniff, "_turns", threading.BoundedSemaphore(sniff.HANDLES))
    monkeypatch.setattr(sniff.magic, "Magic", counted)
    cases = list(SAMPLES.items()) * 50
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda case: sniff.sniff_bytes(case[0]), cases))
    assert answers == [expected for _, expected in cases]
    assert 1 <= len(made) <= sniff.HANDLES
    assert sniff._free.qsize() == len(made)  # every handle came back


def test_a_libmagic_error_gives_the_handle_back(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing:
        def from_buffer(self, head: bytes) -> str:
            raise magic.MagicException("broken")

    free: queue.LifoQueue = queue.LifoQueue()
    free.put(Failing())
    monkeypatch.setattr(sniff, "_free", free)
    assert sniff.sniff_bytes(b"anything") == sniff.OCTET_STREAM
    assert free.qsize() == 1
