"""The docs' Dart samples run: translated to JavaScript, against a live server.

No Dart toolchain installs on these machines (PyPI, npm and Debian carry none that
compiles Dart source). Each Dart block is still parsed and checked against the real
Dart SDK's API surface (test_docs.py's test_dart_sample, dart_api.py); here, on top of
that, each page's Dart blocks run as one program, in document order:

- ``dart_js.py`` translates them from tree-sitter-dart's syntax tree into one ES module;
  anything it does not understand fails the test with the sample's line.
- The module runs under Node against ``dart_sdk_shim.mjs``: a class-for-class stand-in
  for the ``pocketbase`` Dart package that follows the Dart SDK's API and semantics
  (named parameters, ``get<T>``'s conversions, ``totalItems``, ``Uri`` results,
  ``ClientException.statusCode``/``response``, ``AsyncAuthStore``'s saved format, the
  realtime event shapes) and sends its requests through the real npm ``pocketbase``
  SDK. Every member a sample uses on a pocketbase object is looked up in the Dart SDK's
  surface file as it runs (and test_dart_shim.py checks the stand-in's own classes
  against it), so neither a sample nor the stand-in can use API the Dart SDK lacks.
- What is stood in rather than real: the Dart SDK's own HTTP code (the wire format the
  Dart SDK itself produces is not exercised here), Dart core values (String, List, Map,
  Future, Stream, Uri, Duration: the members the samples use; numbers as on Dart for
  the web), the ``http`` package's ``MultipartFile.fromBytes/fromString``,
  ``shared_preferences`` (an in-memory map with the plugin's method names, kept for the
  whole run as the platform keeps it across app restarts), and Flutter: widgets are
  records of their arguments, ``runApp`` builds the tree and ``setState`` rebuilds it
  (no layout, painting or reconciliation), and flutter_test's ``find``/``tester``
  (tap, enterText, pump) act on the last built tree.
- The samples declare functions; ``DART_CALLS`` says what the test runs after each
  block (Dart too, translated the same way): the call, with what the reader's app would
  have done before it (sign in again after a sample signed out), or for getting-started's
  Flutter app what a person does with it (sign in, write a post, see it arrive over
  realtime). Every function a page declares must be called. ``DART_OUTPUT`` is what the
  run must print, in order; the file URLs a sample prints are fetched from the server.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.docs import dart_js
from tests.docs.samples import DOCS, PRELUDE, blocks, for_server
from tests.docs.test_docs import (  # noqa: F401 (fixtures)
    DART_BLOCKS,
    mail_dir,
    node_modules,
    send_mail_to,
)
from tests.reliability.live import Instance, instance

HERE = Path(__file__).parent


def tiny_png() -> bytes:
    """A valid 2×2 PNG (the server makes a thumbnail of it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# Sam's first code sign-in verified his address and, since he was not verified yet,
# replaced his password (docs/auth.md): the later sections sign in as Alice.
SIGNED_IN = (
    "await pb.collection('users').authWithPassword('alice@example.com', \"alice's password\");"
)

# After each block: Dart statements that call what it declared (by function name).
DART_CALLS: dict[str, dict[str, str]] = {
    "sdk-dart.md": {
        # a sign-in kept by the AsyncAuthStore is there when the app starts again
        "connect": """
            final app = await connect();
            await app.collection('users').authWithPassword('alice@example.com', "alice's password");
            final restarted = await connect();
            final same = restarted.authStore.record?.id == app.authStore.record?.id;
            print('after a restart: ${restarted.authStore.isValid} $same');
        """,
        "signUpAndIn": "await signUpAndIn();",
        # signUpAndIn ends signed out; the sections after it are for a signed-in user
        "tasks": f"{SIGNED_IN}\nawait tasks();",
        "errors": "await errors();",
        # the Files section declares its own client
        "uploadCover": (
            f"{SIGNED_IN}\nfinal bytes = {list(tiny_png())};\n"
            "final url = await uploadCover(bytes);\nprint('thumbnail: $url');"
        ),
        "watch": "await watch();",
        "batch": "await batch();",
    },
    # the app as a person uses it, through flutter_test's finders and tester
    "getting-started.md": {
        "main": """
            main();
            await testWidgets('the posts app', (tester) async {
              Future<void> waitFor(Finder finder) async {
                for (var i = 0; i < 400 && finder.evaluate().isEmpty; i++) {
                  await tester.pump(Duration(milliseconds: 50));
                }
                print('${finder.evaluate().length} $finder');
              }

              await waitFor(find.text('Hello'));
              await tester.tap(find.text('Sign in as Alice'));
              await waitFor(find.byType(TextField));
              await tester.enterText(find.byType(TextField), 'From Flutter');
              await tester.tap(find.byIcon(Icons.send));
              await waitFor(find.text('From Flutter')); // the realtime event re-read the list
            });
        """,
    },
}
# libraries the calls above use besides the page's own imports
DART_TEST_LIBRARIES: dict[str, tuple[str, ...]] = {"getting-started.md": ("flutter_test",)}

# What each page's run prints, in order (regular expressions, one per line).
DART_OUTPUT: dict[str, list[str]] = {
    "sdk-dart.md": [
        r"after a restart: true true",
        r"signed in as Sam, token \d{3,} chars",
        r"true",
        r"auth changed: false",  # signUpAndIn's sign-out
        r"auth changed: true",  # the sign-in before tasks(): the listener is still there
        r"0 open tasks",  # the one task was marked done
        r"1 tasks, first [a-z0-9]{15}",
        r"400",
        r"Failed to create record\.",
        r"\{title: \{code: validation_required, message: .+\}\}",
        r"http://127\.0\.0\.1:\d+/api/files/\w+/[a-z0-9]{15}/beach_\w+\.png\?token=[\w.-]+",
        r"thumbnail: http://127\.0\.0\.1:\d+/api/files/\w+/[a-z0-9]{15}/beach_\w+\.png\?thumb=100x100",
        r"\[200, 200\]",
        r"all Dart samples ran",
    ],
    "getting-started.md": [
        r'1 text "Hello"',
        r"1 type TextField",
        r'1 text "From Flutter"',
        r"all Dart samples ran",
    ],
}


def setup_sdk_dart(live: Instance) -> None:
    """What sdk-dart.md's sections assume: users with OTP, tasks, albums, batch on, Alice."""
    ok = live.api(
        "PATCH",
        "/api/collections/users",
        json={"otp": {"enabled": True, "duration": 300, "length": 8}},
    )
    assert ok.status_code == 200, ok.text
    users = ok.json()["id"]
    own = "owner = @request.auth.id"
    tasks = {
        "name": "tasks",
        "type": "base",
        "fields": [
            {"name": "title", "type": "text", "required": True},
            {"name": "priority", "type": "number"},
            {"name": "done", "type": "bool"},
            {"name": "owner", "type": "relation", "collectionId": users, "maxSelect": 1},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
        "listRule": own,
        "viewRule": own,
        "createRule": '@request.auth.id != ""',
        "updateRule": own,
        "deleteRule": own,
    }
    albums = {
        "name": "albums",
        "type": "base",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "cover", "type": "file", "maxSelect": 1, "thumbs": ["100x100"]},
        ],
        "listRule": "",
        "viewRule": "",
        "createRule": "",
    }
    for collection in (tasks, albums):
        made = live.api("POST", "/api/collections", json=collection)
        assert made.status_code == 200, made.text
    batch = {"batch": {"enabled": True, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}}
    assert live.api("PATCH", "/api/settings", json=batch).status_code == 200
    alice = {"email": "alice@example.com", "password": "alice's password"}
    made = live.api(
        "POST",
        "/api/collections/users/records",
        json={**alice, "passwordConfirm": alice["password"]},
    )
    assert made.status_code == 200, made.text


def setup_getting_started(live: Instance) -> None:
    """What getting-started's earlier steps made: the posts collection, Alice, her post."""
    posts = {
        "name": "posts",
        "type": "base",
        "fields": [
            {"name": "title", "type": "text", "required": True},
            {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_"},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
        "listRule": "",
        "viewRule": "",
        "createRule": '@request.auth.id != "" && author = @request.auth.id',
        "updateRule": "author = @request.auth.id",
        "deleteRule": "author = @request.auth.id",
    }
    assert live.api("POST", "/api/collections", json=posts).status_code == 200
    alice = {"email": "alice@example.com", "password": "alice's password", "name": "Alice"}
    made = live.api(
        "POST",
        "/api/collections/users/records",
        json={**alice, "passwordConfirm": alice["password"]},
    )
    assert made.status_code == 200, made.text
    hello = {"title": "Hello", "author": made.json()["id"]}
    assert live.api("POST", "/api/collections/posts/records", json=hello).status_code == 200


DART_SETUP: dict[str, Callable[[Instance], None]] = {
    "sdk-dart.md": setup_sdk_dart,
    "getting-started.md": setup_getting_started,
}

RUN_PAGES = sorted({b.page for b in DART_BLOCKS})


def test_every_dart_page_has_its_calls_output_and_setup() -> None:
    assert RUN_PAGES == sorted(DART_CALLS) == sorted(DART_OUTPUT) == sorted(DART_SETUP)


def page_program(page: str, url: str) -> tuple[str, list[list[str]]]:
    sources = []
    for block in (b for b in blocks(DOCS / page) if b.kind == "dart"):
        sources.append(dart_js.Source(block.where, for_server(block.code, url)))
    program, functions = dart_js.translate_page(sources)  # the functions each block declares
    calls = DART_CALLS[page]
    declared = [name for names in functions for name in names]
    assert sorted(declared) == sorted(calls), "every function a page declares is called"
    for source, names in zip(sources, functions, strict=True):
        source.driver = "\n".join(calls[name] for name in names)
    return dart_js.translate_page(sources, PRELUDE, DART_TEST_LIBRARIES.get(page, ()))


@pytest.mark.parametrize("page", RUN_PAGES)
def test_dart_page_runs(
    page: str,
    tmp_path: Path,
    node_modules: Path,  # noqa: F811
    mail_dir: tuple,  # noqa: F811  # type: ignore[type-arg]
) -> None:
    box, folder = mail_dir
    for old in folder.iterdir():
        old.unlink()
    with instance(tmp_path) as live:
        live.sign_in_superuser()
        send_mail_to(box, live)
        DART_SETUP[page](live)
        program, _ = page_program(page, live.url)
        (tmp_path / "page.mjs").write_text(program)
        for name in ("dart_sdk_shim.mjs", "pocketbase_dart_api.json"):
            shutil.copy(HERE / name, tmp_path / name)  # resolves pocketbase from tmp_path
        (tmp_path / "node_modules").symlink_to(node_modules)
        done = subprocess.run(
            [shutil.which("node") or "node", str(tmp_path / "page.mjs")],
            cwd=tmp_path,
            env={**os.environ, "DOCS_MAILDIR": str(folder), "DOCS_WORKDIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
        printed = done.stdout.splitlines()
        expected = DART_OUTPUT[page]
        assert len(printed) == len(expected), "\n".join(printed)
        for pattern, text in zip(expected, printed, strict=True):
            assert re.fullmatch(pattern, text), f"{text!r} does not match {pattern!r}"
        files = [re.search(r"http://\S+/api/files/\S+", line) for line in printed]
        urls = [m.group(0) for m in files if m]
        assert urls or page != "sdk-dart.md"
        for url in urls:  # what getURL built is served: the file, with a token or as thumb
            answer = httpx.get(url, timeout=30)
            assert answer.status_code == 200, url
            assert answer.content.startswith(b"\x89PNG"), url


def test_untranslatable_code_fails_with_its_line() -> None:
    """Untranslatable code is refused with its place, never dropped."""
    code = "void main() {\n  final x = [1, 2]..add(3);\n}\n"
    with pytest.raises(dart_js.DartError, match=r"docs/x\.md:3: cascades"):
        dart_js.translate_page([dart_js.Source("docs/x.md:1", code)])
