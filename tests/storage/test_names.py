"""Stored filenames (wire-api §5, §9), checked against what the 0.40.6 binary produced."""

from __future__ import annotations

import re

import pytest

from baas.storage import names, sniff

R = "[a-z0-9]{10}"

# (uploaded name, extension the content suggests, stored name pattern)
NAME_SCENARIOS = [
    ("My Photo!.png", ".png", rf"my_photo_{R}\.png"),
    ("ab.png", ".png", rf"ab{R}_{R}\.png"),
    ("a.tar.gz", ".gz", rf"a{R}_{R}\.tar\.gz"),
    ("CamelCase File.TXT", ".txt", rf"camel_case_file_{R}\.TXT"),
    ("noext", ".txt", rf"noext_{R}\.txt"),
    ("noext", "", rf"noext_{R}"),
    (".hidden", ".txt", rf"{R}_{R}\.hidden"),
    ("a..b.c.d", "", rf"a_b_{R}\.c\.d"),
    ("x" * 120 + ".txt", ".txt", rf"x{{100}}_{R}\.txt"),
    ("café ü.png", ".png", rf"caf_{R}\.png"),  # Go's \W is ASCII-only
    ("myTestDB.txt", ".txt", rf"my_test_db_{R}\.txt"),
    ("x.abcdefghijklmnopqrstuvwxyz0123", "", rf"x{R}_{R}\.klmnopqrstuvwxyz0123"),
    ("weird.p<n>g", ".png", rf"weird_{R}\.png"),
    ("evil.<>", ".txt", rf"evil_{R}\."),  # the bare dot survives, as on the peer
    ("../../etc/passwd", "", rf"passwd_{R}"),
    ("a/b\\c.txt", ".txt", rf"c{R}_{R}\.txt"),
    ("", ".bin", rf"{R}_{R}\.bin"),
]


@pytest.mark.parametrize("original, detected, pattern", NAME_SCENARIOS)
def test_normalize_name(original: str, detected: str, pattern: str) -> None:
    stored = names.normalize_name(original, lambda: detected)
    assert re.fullmatch(pattern, stored), stored
    assert names.is_safe_name(stored)


def test_names_are_random() -> None:
    assert len({names.normalize_name("same.txt", lambda: "") for _ in range(50)}) == 50


@pytest.mark.parametrize(
    "name, safe",
    [
        ("photo_0123456789.png", True),
        ("..", False),
        (".", False),
        (".hidden", False),
        ("a/b", False),
        ("a\\b", False),
        ("", False),
        ("x%2F..", False),
    ],
)
def test_is_safe_name(name: str, safe: bool) -> None:
    assert names.is_safe_name(name) is safe


# (content, sniffed type, extension given to a name without one)
SNIFF_SCENARIOS = [
    (b"plain words\n", "text/plain", ".txt"),
    (b'{"a": 1}', "application/json", ".json"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf", ".pdf"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml", ".svg"),
    (b"<html><body>x</body></html>", "text/html", ".html"),
    (b"\x00\x01\x02\x03" * 64, "application/octet-stream", ""),
    (b"", "application/octet-stream", ""),
]


@pytest.mark.parametrize("content, mime, extension", SNIFF_SCENARIOS)
def test_sniffing(content: bytes, mime: str, extension: str) -> None:
    assert sniff.sniff_bytes(content) == mime
    assert sniff.extension_for(mime) == extension


@pytest.mark.parametrize(
    "mime, allowed, ok",
    [
        ("image/jpeg", ["image/jpg"], True),
        ("image/png", ["image/png", "image/jpeg"], True),
        ("text/plain", ["image/png"], False),
        ("text/xml", ["application/xml"], True),
    ],
)
def test_mime_aliases(mime: str, allowed: list[str], ok: bool) -> None:
    assert sniff.is_allowed(mime, allowed) is ok
