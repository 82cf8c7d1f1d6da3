"""Serving files (wire-api §5, §9): headers, ranges, thumbs, protection, traversal."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.storage.conftest import RECORDS, jpeg, png

pytestmark = pytest.mark.django_db

CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def url(record: dict, filename: str, by_name: bool = False) -> str:
    collection = record["collectionName"] if by_name else record["collectionId"]
    return f"/api/files/{collection}/{record['id']}/{filename}"


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def stored(capi: Any, docs: dict, storage: Any) -> dict:
    """One record with a text file, a PNG, a JPEG, an SVG with script and an HTML page."""
    response = capi.post(
        RECORDS,
        files={
            "one": ("notes.txt", b"0123456789" * 10),
            "many": [
                ("pic.png", png(300, 200)),
                ("photo.jpg", jpeg()),
                (
                    "evil.svg",
                    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                ),
                ("page.html", b"<html><body><script>alert(1)</script></body></html>"),
            ],
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


# (description, which file, query, expected status, expected headers)
DOWNLOAD_SCENARIOS = [
    (
        "text is an attachment",
        "one",
        {},
        200,
        {
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Disposition": 'attachment; filename="{name}"',
            "Cache-Control": "max-age=2592000, stale-while-revalidate=86400",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Accept-Ranges": "bytes",
            "Content-Length": "100",
        },
    ),
    (
        "an image is inline",
        "png",
        {},
        200,
        {"Content-Type": "image/png", "Content-Disposition": 'inline; filename="{name}"'},
    ),
    (
        "download=1 forces an attachment",
        "png",
        {"download": "1"},
        200,
        {"Content-Disposition": 'attachment; filename="{name}"'},
    ),
    (
        "download=false is ignored",
        "png",
        {"download": "false"},
        200,
        {"Content-Disposition": 'inline; filename="{name}"'},
    ),
    (
        "an SVG with script is never inline",
        "svg",
        {},
        200,
        {
            "Content-Type": "image/svg+xml",
            "Content-Disposition": 'attachment; filename="{name}"',
            "Content-Security-Policy": CSP,
        },
    ),
    (
        "HTML is served as an attachment, sandboxed",
        "html",
        {},
        200,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Disposition": 'attachment; filename="{name}"',
            "Content-Security-Policy": CSP,
        },
    ),
]


def test_content_type_comes_from_the_bytes(capi: Any, docs: dict, storage: Any) -> None:
    """A PNG sent as text/plain and a page sent as image/png are served as what they are."""
    record = capi.post(
        RECORDS,
        files={
            "many": [
                ("a", png(), "text/plain"),
                ("b", b"<html><script>alert(1)</script></html>", "image/png"),
            ]
        },
    ).json()
    image, page = (capi.get(url(record, name)) for name in record["many"])
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline;")
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert page["Content-Disposition"].startswith("attachment;")


def _pick(record: dict, which: str) -> str:
    by_ext = {"png": ".png", "jpg": ".jpg", "svg": ".svg", "html": ".html"}
    if which == "one":
        return record["one"]
    return next(n for n in record["many"] if n.endswith(by_ext[which]))


@pytest.mark.parametrize(
    "which, query, status, headers",
    [s[1:] for s in DOWNLOAD_SCENARIOS],
    ids=[s[0] for s in DOWNLOAD_SCENARIOS],
)
def test_download_headers(
    api: Any, stored: dict, which: str, query: dict, status: int, headers: dict
) -> None:
    name = _pick(stored, which)
    response = api.get(url(stored, name), query=query)
    assert response.status_code == status
    for header, value in headers.items():
        assert response[header] == value.format(name=name), header
    assert "Last-Modified" in response


def test_download_returns_the_bytes_by_id_and_by_name(api: Any, stored: dict) -> None:
    for by_name in (False, True):
        response = api.get(url(stored, stored["one"], by_name=by_name))
        assert response.status_code == 200
        assert body(response) == b"0123456789" * 10


# (Range header, status, body slice, Content-Range)
RANGE_SCENARIOS = [
    ("bytes=0-9", 206, slice(0, 10), "bytes 0-9/100"),
    ("bytes=95-", 206, slice(95, 100), "bytes 95-99/100"),
    ("bytes=-5", 206, slice(95, 100), "bytes 95-99/100"),
    ("bytes=90-500", 206, slice(90, 100), "bytes 90-99/100"),
    ("bytes=100-200", 416, None, "bytes */100"),
    ("bytes=0-1,5-6", 200, slice(0, 100), None),
    ("garbage", 200, slice(0, 100), None),
]


@pytest.mark.parametrize("header, status, part, content_range", RANGE_SCENARIOS)
def test_range_requests(
    api: Any, stored: dict, header: str, status: int, part: Any, content_range: Any
) -> None:
    response = api.get(url(stored, stored["one"]), headers={"Range": header})
    assert response.status_code == status
    if part is not None:
        assert body(response) == (b"0123456789" * 10)[part]
    assert response.get("Content-Range") == content_range


def test_head_and_conditional_get(api: Any, stored: dict) -> None:
    head = api.head(url(stored, stored["one"]))
    assert head.status_code == 200
    assert head["Content-Length"] == "100"
    assert body(head) == b""
    again = api.get(
        url(stored, stored["one"]), headers={"If-Modified-Since": head["Last-Modified"]}
    )
    assert again.status_code == 304


# (description, path builder) -> always the 404 envelope
NOT_FOUND_SCENARIOS = [
    ("unknown filename", lambda r: url(r, "nope_0123456789.txt")),
    ("unknown record", lambda r: f"/api/files/{r['collectionId']}/aaaaaaaaaaaaaaa/{r['one']}"),
    ("unknown collection", lambda r: f"/api/files/nope/{r['id']}/{r['one']}"),
    ("a file of another record", lambda r: f"/api/files/users/{r['id']}/{r['one']}"),
    ("dot-dot as filename", lambda r: url(r, "..")),
    ("encoded traversal", lambda r: url(r, "..%2F..%2Fsettings.py")),
    (
        "traversal in the record id",
        lambda r: f"/api/files/{r['collectionId']}/..%2F{r['id']}/{r['one']}",
    ),
    ("thumbs folder as filename", lambda r: url(r, f"thumbs_{r['one']}")),
    ("trailing segment", lambda r: url(r, r["one"]) + "/x"),
]


@pytest.mark.parametrize(
    "build", [s[1] for s in NOT_FOUND_SCENARIOS], ids=[s[0] for s in NOT_FOUND_SCENARIOS]
)
def test_not_found_is_the_envelope(api: Any, stored: dict, build: Any) -> None:
    response = api.get(build(stored))
    assert response.status_code == 404
    payload = response.json()
    assert payload["status"] == 404 and payload["data"] == {}


def test_other_methods_are_404(api: Any, stored: dict) -> None:
    assert api.delete(url(stored, stored["one"])).status_code == 404
    assert api.post(url(stored, stored["one"])).status_code == 404


def _size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


# (thumb, expected size or None for the original) on a 300x200 PNG; field thumbs are
# ["20x20", "20x10t", "50x0"] and 100x100 is always allowed.
THUMB_SCENARIOS = [
    ("100x100", (100, 100)),
    ("20x20", (20, 20)),
    ("20x10t", (20, 10)),
    ("50x0", (50, 33)),
    ("20x20b", None),  # a suffixed variant that is not listed
    ("0x50", None),  # not listed
    ("50x50", None),
    ("abc", None),
    ("0x0", None),
]


@pytest.mark.parametrize("thumb, size", THUMB_SCENARIOS)
def test_thumbs(api: Any, stored: dict, storage: Any, thumb: str, size: Any) -> None:
    name = _pick(stored, "png")
    response = api.get(url(stored, name), query={"thumb": thumb})
    assert response.status_code == 200
    data = body(response)
    if size is None:
        assert _size(data) == (300, 200)
        assert response["Content-Disposition"] == f'inline; filename="{name}"'
        return
    assert _size(data) == size
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="{thumb}_{name}"'
    path = f"{stored['collectionId']}/{stored['id']}/thumbs_{name}/{thumb}_{name}"
    assert storage.read(path) == data  # kept, and served from there next time
    assert body(api.get(url(stored, name), query={"thumb": thumb})) == data


def test_thumb_forms(make_collection: Any, capi: Any, storage: Any, superuser_token: str) -> None:
    make_collection(
        {
            "name": "pics",
            "type": "base",
            "viewRule": "",
            "createRule": "",
            "fields": [
                {
                    "name": "img",
                    "type": "file",
                    "maxSelect": 1,
                    "thumbs": ["60x40", "60x40t", "60x40b", "60x40f", "0x50", "75x0"],
                }
            ],
        }
    )
    # 300x200: top half red, bottom half blue, so crops can be told apart.
    image = Image.new("RGB", (300, 200), "red")
    image.paste(Image.new("RGB", (300, 100), "blue"), (0, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    record = capi.post(
        "/api/collections/pics/records", files={"img": ("a.png", out.getvalue())}
    ).json()

    def thumb(spec: str) -> Image.Image:
        response = capi.get(url(record, record["img"]), query={"thumb": spec})
        return Image.open(io.BytesIO(body(response))).convert("RGB")

    assert thumb("60x40").size == (60, 40)
    assert thumb("60x40t").getpixel((30, 5)) == (255, 0, 0)  # top crop keeps the top
    assert thumb("60x40b").getpixel((30, 35)) == (0, 0, 255)  # bottom crop keeps the bottom
    assert thumb("60x40f").size == (60, 40)  # fit: 300x200 scales to 60x40
    assert thumb("0x50").size == (75, 50)
    assert thumb("75x0").size == (75, 50)


def test_thumb_of_a_non_image_serves_the_original(api: Any, stored: dict) -> None:
    response = api.get(url(stored, stored["one"]), query={"thumb": "100x100"})
    assert response.status_code == 200
    assert body(response) == b"0123456789" * 10


def test_jpeg_thumb(api: Any, stored: dict) -> None:
    name = _pick(stored, "jpg")
    response = api.get(url(stored, name), query={"thumb": "100x100"})
    assert response["Content-Type"] == "image/jpeg"
    assert _size(body(response)) == (100, 100)
