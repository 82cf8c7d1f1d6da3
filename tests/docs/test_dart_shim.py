"""The Dart SDK stand-in (dart_sdk_shim.mjs) offers only the Dart SDK's API, with its
semantics.

- Every public member of every stand-in pocketbase class (methods, getters, fields,
  statics and factory constructors) exists in the Dart SDK's surface file
  (pocketbase_dart_api.json, extracted from the SDK's source) with the same kind, and a
  method takes the SDK's positional parameters plus one trailing bag when the SDK's
  method has named parameters (plus the type arguments when it is generic).
- Dart programs translated by dart_js.py and run without a server show the SDK's
  behaviour where it differs from the JavaScript SDK: RecordModel.get<T>'s conversions
  (the caster's rules and the examples in its documentation), pb.filter's quoting,
  Uri results from getURL/buildURL, ClientException's defaults, AsyncAuthStore's saved
  format, ``on T catch`` catching only a T, ``x!`` on null; and a sample that uses a
  member or named parameter the SDK lacks fails with that name.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs import dart_api, dart_js
from tests.docs.test_docs import node_modules  # noqa: F401 (fixture)
from tests.reliability.live import instance

HERE = Path(__file__).parent

LIST_CLASSES = """
import { POCKETBASE_CLASSES, SHIM_FIELDS } from "./dart_sdk_shim.mjs";

function paramCount(fn) {
  const text = typeof fn === "string" ? fn : Function.prototype.toString.call(fn);
  const open = text.indexOf("(");
  let depth = 0, count = 0, seen = false;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) { if (depth === 0) break; depth--; }
    else if (ch === "," && depth === 0) count++;
    else if (!/\\s/.test(ch)) seen = true;
  }
  return seen ? count + 1 : 0;
}

function ctorParams(cls) {
  const text = Function.prototype.toString.call(cls);
  if (!text.startsWith("class")) return 0;
  const at = text.indexOf("constructor(");
  if (at < 0) return ctorParams(Object.getPrototypeOf(cls)); // the inherited one
  return paramCount(text.slice(at));
}

const out = {};
for (const [name, cls] of Object.entries(POCKETBASE_CLASSES)) {
  const members = {};
  for (const key of Object.getOwnPropertyNames(cls.prototype)) {
    if (key === "constructor" || key.startsWith("_")) continue;
    const desc = Object.getOwnPropertyDescriptor(cls.prototype, key);
    members[key] = desc.get || desc.set ? { kind: "getter" } : { kind: "method", params: paramCount(desc.value) };
  }
  for (const key of SHIM_FIELDS.get(cls) ?? []) members[key] = { kind: "field" };
  const statics = {};
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (["length", "name", "prototype", "GENERIC"].includes(key) || key.startsWith("_")) continue;
    statics[key] = { kind: "method", params: paramCount(cls[key]) };
  }
  out[name] = {
    members, statics, generic: cls.GENERIC ?? [], constructor: ctorParams(cls),
  };
}
console.log(JSON.stringify(out));
"""


def run_node(folder: Path, modules: Path, script: str) -> subprocess.CompletedProcess[str]:
    for name in ("dart_sdk_shim.mjs", "pocketbase_dart_api.json"):
        shutil.copy(HERE / name, folder / name)
    if not (folder / "node_modules").exists():
        (folder / "node_modules").symlink_to(modules)
    (folder / "script.mjs").write_text(script)
    return subprocess.run(
        ["node", str(folder / "script.mjs")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def expected_params(member: dict, generic: bool) -> int:  # type: ignore[type-arg]
    return member["positional"][1] + (1 if member["named"] else 0) + (1 if generic else 0)


def test_stand_in_classes_are_the_sdks(tmp_path: Path, node_modules: Path) -> None:  # noqa: F811
    done = run_node(tmp_path, node_modules, LIST_CLASSES)
    assert done.returncode == 0, done.stderr
    shim = json.loads(done.stdout)
    surface = dart_api.surface()["classes"]
    problems = []
    for name, cls in shim.items():
        if name not in surface:
            problems.append(f"{name}: no such class in the Dart SDK")
            continue
        sdk = surface[name]
        ctor = sdk["constructors"].get("", {"positional": [0, 0], "named": []})
        if sdk["constructors"] and "" not in sdk["constructors"]:
            problems.append(f"{name}(): the Dart SDK has no unnamed constructor")
        elif cls["constructor"] != expected_params(ctor, False):
            problems.append(f"{name}(): {cls['constructor']} parameters, the SDK's take {ctor}")
        for member, info in cls["members"].items():
            found = dart_api.lookup(name, member)
            if found is None:
                problems.append(f"{name}.{member}: not in the Dart SDK")
            elif (info["kind"] == "method") != (found["kind"] == "method"):
                problems.append(f"{name}.{member}: a {info['kind']} here, a {found['kind']} there")
            elif info["kind"] == "method" and member != "toString":
                want = expected_params(found, member in cls["generic"])
                if info["params"] != want:
                    problems.append(f"{name}.{member}: {info['params']} parameters, not {want}")
        for member, info in cls["statics"].items():
            factory = sdk["constructors"].get(member)
            found = factory or dart_api.lookup(name, member)
            if found is None:
                problems.append(f"{name}.{member} (static): not in the Dart SDK")
            elif info["params"] != expected_params({"named": [], **found}, False):
                problems.append(f"{name}.{member}: {info['params']} parameters, SDK {found}")
    assert not problems, "\n".join(problems)
    assert {"PocketBase", "RecordService", "RecordModel", "AsyncAuthStore"} <= set(shim)


def run_dart(tmp_path: Path, modules: Path, code: str) -> subprocess.CompletedProcess[str]:
    program, _ = dart_js.translate_page(
        [dart_js.Source("docs/check.md:1", code, driver="await main();")]
    )
    return run_node(tmp_path, modules, program)


SEMANTICS = r"""
import 'dart:convert';
import 'package:pocketbase/pocketbase.dart';

Future<void> main() async {
  // the caster's documented examples
  final record = RecordModel({
    'a': {'b': [{'b1': 1}, {'b2': 2}, {'b3': 3}]},
    'text': 'false', 'zero': '0', 'yes': 'yes', 'n': '12', 'half': '1.5', 'none': null,
    'tags': [1, 'a'], 'one': 5,
    'expand': {'user': {'id': 'u1', 'collectionName': 'users'}},
  });
  print(record.get<int>('a.b.c', 999));
  print(record.get<int>('a.b.2.b3'));
  print(record.get<String>('a.b.2.b3'));
  print('[${record.get<String>('missing')}] ${record.get<String?>('missing')}');
  print('${record.get<bool>('text')} ${record.get<bool>('zero')} ${record.get<bool>('yes')}');
  print('${record.get<int>('n')} ${record.get<int>('half')} ${record.get<double>('half')}');
  print('${record.get<List<String>>('tags')} ${record.get<List<int>>('one')} ${record.get<int>('none')}');
  print(record.get<RecordModel>('expand.user').id);
  print(record.getStringValue('missing', 'fallback'));
  print(RecordModel.fromJson({'id': 'r', 'expand': {'tags': [{'id': 't1'}, {'id': 't2'}]}}).expand['tags']!.length);
  print(RecordModel({'id': 'x', 'n': 1}));

  final pb = PocketBase('http://127.0.0.1:8090');
  print(pb.filter('a = {:a} && b = {:b} && c = {:c} && d = {:d}', {'a': 'x"y', 'b': 1, 'c': true, 'd': null}));
  final file = RecordModel({'id': 'rid', 'collectionId': 'cid', 'collectionName': 'albums'});
  print(pb.files.getURL(file, 'f.png', thumb: '10x10', download: true));
  print('[${pb.files.getURL(file, '')}]');
  print(pb.buildURL('/api/x', {'q': 'a b', 'l': ['1', '2'], 'skip': null}));

  final empty = ClientException();
  print('${empty.statusCode} ${empty.response} ${empty.isAbort} ${empty.originalError}');

  final saved = <String>[];
  final store = AsyncAuthStore(save: (String data) async => saved.add(data));
  store.save('eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.sig', RecordModel({'id': 'me'}));
  print(saved.last);
  final loaded = AsyncAuthStore(save: (String data) async {}, initial: saved.last);
  print('${loaded.token} ${loaded.record?.id} ${loaded.isValid}');

  try {
    throw StateError('not a client error');
  } on ClientException catch (e) {
    print('wrong: $e');
  } catch (e) {
    print('other: $e');
  }
  try {
    final RecordModel? nothing = null;
    print(nothing!.id);
  } catch (e) {
    print('null: $e');
  }
  final items = [1, 2, 3];
  print(items.map((i) => i * 2));
  print(items.where((i) => i > 1).toList());
  print({'k': [1, true, null], 'm': {'x': 'y'}});
}
"""

SEMANTICS_OUTPUT = [
    "999",
    "3",
    "3",
    "[] null",
    "false false true",
    "12 0 1.5",
    "[1, a] [5] 0",
    "u1",
    "fallback",
    "2",
    '{"id":"x","n":1}',
    'a = "x\\"y" && b = 1 && c = true && d = null',
    "http://127.0.0.1:8090/api/files/cid/rid/f.png?thumb=10x10&download=",
    "[]",
    "http://127.0.0.1:8090/api/x?q=a+b&l=1&l=2",
    "0 {} false null",
    '{"token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.sig","model":{"id":"me"}}',
    "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.sig me false",  # a token expired in 1970
    "other: Bad state: not a client error",
    "null: Null check operator used on a null value",
    "(2, 4, 6)",
    "[2, 3]",
    "{k: [1, true, null], m: {x: y}}",
    "all Dart samples ran",
]


def test_dart_semantics(tmp_path: Path, node_modules: Path) -> None:  # noqa: F811
    done = run_dart(tmp_path, node_modules, SEMANTICS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == SEMANTICS_OUTPUT


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "pb.collection('posts').nope();",
            "the pocketbase Dart SDK has no member 'nope' on RecordService",
        ),
        (
            "await pb.collection('posts').getList(pageSize: 10);",
            "RecordService.getList has no named parameter 'pageSize'",
        ),
        (
            "await pb.collection('posts').getOne();",
            "RecordService.getOne takes 1–1 positional arguments, not 0",
        ),
        ("print(pb.authStore.record!.id);", "Null check operator used on a null value"),
        ("print('x'.nope);", "the stand-in's Dart String has no member 'nope'"),
    ],
)
def test_misuse_fails_loudly(
    code: str,
    message: str,
    tmp_path: Path,
    node_modules: Path,  # noqa: F811
) -> None:
    program = (
        "import 'package:pocketbase/pocketbase.dart';\n"
        "final pb = PocketBase('http://127.0.0.1:1');\n"
        f"Future<void> main() async {{\n  {code}\n}}\n"
    )
    done = run_dart(tmp_path, node_modules, program)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert "FAILED in the Dart sample docs/check.md:1 (line 5)" in done.stderr


REALTIME = r"""
import 'package:pocketbase/pocketbase.dart';

final pb = PocketBase('URL');

Future<void> main() async {
  final events = <String>[];
  final unsubscribe = await pb.collection('notes').subscribe('*', (e) {
    events.add('${e.action} ${e.record?.get<String>('title')} ${e.record is RecordModel}');
  });
  final note = await pb.collection('notes').create(body: {'title': 'hi'});
  await pb.collection('notes').update(note.id, body: {'title': 'there'});
  await pb.collection('notes').delete(note.id);
  for (var i = 0; i < 400 && events.length < 3; i++) {
    await Future.delayed(Duration(milliseconds: 50));
  }
  await unsubscribe();
  print(events);
  try {
    await pb.collection('notes').getOne(note.id);
  } on ClientException catch (e) {
    print('${e.statusCode} ${e.response['status']} ${e.url}');
  }
}
"""


def test_realtime_events_and_errors_have_the_sdks_shapes(
    tmp_path: Path,
    node_modules: Path,  # noqa: F811
) -> None:
    """subscribe() hands the callback RecordSubscriptionEvents (action, RecordModel);
    a failed request throws a ClientException with statusCode, response and url."""
    (tmp_path / "server").mkdir()
    with instance(tmp_path / "server") as live:
        live.sign_in_superuser()
        notes = {
            "name": "notes",
            "type": "base",
            "fields": [{"name": "title", "type": "text"}],
            **{rule: "" for rule in ("listRule", "viewRule", "createRule", "updateRule")},
            "deleteRule": "",
        }
        assert live.api("POST", "/api/collections", json=notes).status_code == 200
        done = run_dart(tmp_path, node_modules, REALTIME.replace("URL", live.url))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[create hi true, update there true, delete there true]"
    assert re.fullmatch(
        r"404 404 http://127\.0\.0\.1:\d+/api/collections/notes/records/\w+", lines[1]
    )
    assert lines[2:] == ["all Dart samples ran"]
