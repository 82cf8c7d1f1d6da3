"""Bounded memory: a ~200 MB upload and download through a real ``baas serve``.

The file is generated while it is sent (never held whole by the test either), and the
server's peak RSS is read from ``/proc`` (``VmHWM``, reset through ``clear_refs``
first), over every process of the server (granian's workers are children).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

MB = 1024 * 1024
FILE_SIZE = 200 * MB
MAX_GROWTH = 64 * MB  # far below the file size; the server streams through temp files
BLOCK = os.urandom(MB)
PASSWORD = "password123"


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found += process_tree(int(child))
    return found


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def reset_peaks(pids: list[int]) -> dict[int, int]:
    """Reset each process's peak RSS; return its current RSS as the baseline."""
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return {pid: status_kb(pid, "VmRSS") for pid in pids}


def peak_growth(baseline: dict[int, int]) -> int:
    return max(status_kb(pid, "VmHWM") - rss for pid, rss in baseline.items())


class MultipartStream:
    """A multipart body with one generated file, read in chunks (requests streams it)."""

    def __init__(self, field: str, filename: str, size: int):
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self.head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.size = size
        self.sent = 0
        self.sha = hashlib.sha256()
        self.pending = self.head

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def read(self, amount: int = -1) -> bytes:
        amount = amount if amount and amount > 0 else MB
        while len(self.pending) < amount and (self.sent < self.size or self.tail):
            if self.sent < self.size:
                part = BLOCK[: min(MB, self.size - self.sent)]
                self.sent += len(part)
                self.sha.update(part)
                self.pending += part
            else:
                self.pending += self.tail
                self.tail = b""
        out, self.pending = self.pending[:amount], self.pending[amount:]
        return out


@pytest.fixture(scope="module")
def live(baas_server: Any) -> dict[str, Any]:
    email = f"mem-{uuid.uuid4().hex[:8]}@example.com"
    result = baas_server.cli("superuser", "upsert", email, PASSWORD)
    assert result.returncode == 0, result.stderr
    base = str(baas_server)
    token = requests.post(
        f"{base}/api/collections/_superusers/auth-with-password",
        json={"identity": email, "password": PASSWORD},
        timeout=30,
    ).json()["token"]
    name = f"big_{uuid.uuid4().hex[:8]}"
    created = requests.post(
        f"{base}/api/collections",
        json={
            "name": name,
            "type": "base",
            "createRule": "",
            "viewRule": "",
            "fields": [{"name": "blob", "type": "file", "maxSelect": 1, "maxSize": 300 * MB}],
        },
        headers={"Authorization": token},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    return {"base": base, "name": name, "pid": baas_server.process.pid}


def test_big_upload_and_download_stay_in_bounded_memory(live: dict[str, Any]) -> None:
    base, name = live["base"], live["name"]
    warm = MultipartStream("blob", "warm.bin", MB)  # imports, libmagic, pools: loaded now
    response = requests.post(
        f"{base}/api/collections/{name}/records",
        data=warm,
        headers={"Content-Type": warm.content_type},
        timeout=120,
    )
    assert response.status_code == 200, response.text

    pids = process_tree(live["pid"])
    baseline = reset_peaks(pids)
    upload = MultipartStream("blob", "big.bin", FILE_SIZE)
    response = requests.post(
        f"{base}/api/collections/{name}/records",
        data=upload,
        headers={"Content-Type": upload.content_type},
        timeout=600,
    )
    assert response.status_code == 200, response.text
    upload_growth = peak_growth(baseline)
    record = response.json()

    baseline = reset_peaks(pids)
    url = f"{base}/api/files/{record['collectionId']}/{record['id']}/{record['blob']}"
    received, sha = 0, hashlib.sha256()
    with requests.get(url, stream=True, timeout=600) as download:
        assert download.status_code == 200
        assert download.headers["Content-Length"] == str(FILE_SIZE)
        for chunk in download.iter_content(MB):
            received += len(chunk)
            sha.update(chunk)
    download_growth = peak_growth(baseline)

    print(f"growth: upload {upload_growth // MB} MB, download {download_growth // MB} MB")
    assert received == FILE_SIZE
    assert sha.hexdigest() == upload.sha.hexdigest()
    assert upload_growth < MAX_GROWTH, f"upload grew the server by {upload_growth // MB} MB"
    assert download_growth < MAX_GROWTH, f"download grew the server by {download_growth // MB} MB"
