"""Copy-paste examples for a collection (JS SDK, Dart SDK, curl), from its schema and rules."""

from __future__ import annotations

import json
from typing import Any

EXAMPLES: dict[str, Any] = {
    "text": "example",
    "number": 123,
    "bool": True,
    "email": "test@example.com",
    "url": "https://example.com",
    "editor": "<p>Hello</p>",
    "date": "2026-01-01 10:00:00.000Z",
    "json": {"key": "value"},
    "geoPoint": {"lon": 13.4, "lat": 52.5},
    "relation": "RELATION_RECORD_ID",
}


def example_value(field: dict[str, Any]) -> Any:
    kind = field["type"]
    multi = int(field.get("maxSelect") or 0) > 1
    if kind == "select":
        values = field.get("values") or ["option"]
        return values[:2] if multi else values[0]
    if kind == "relation":
        return ["RELATION_RECORD_ID"] if multi else "RELATION_RECORD_ID"
    return EXAMPLES.get(kind)


def example_body(collection: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for field in collection["fields"]:
        name, kind = field["name"], field["type"]
        if name in ("id", "tokenKey", "verified") or kind in ("autodate", "file"):
            continue
        if kind == "password":
            body[name] = "12345678"
            if collection["type"] == "auth" and name == "password":
                body["passwordConfirm"] = "12345678"
            continue
        value = example_value(field)
        if value is not None:
            body[name] = value
    return body


def rule_text(rule: str | None) -> str:
    if rule is None:
        return "Only superusers (the rule is locked)."
    if rule.strip() == "":
        return "Anyone, guests included."
    return f"Callers matching: {rule}"


def _js_object(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _dart(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n  ")


def examples(collection: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    name = collection["name"]
    body = example_body(collection)
    files = [f["name"] for f in collection["fields"] if f["type"] == "file"]
    url = f"{base_url}/api/collections/{name}/records"
    is_view = collection["type"] == "view"
    out = [
        {
            "title": "List and search",
            "rule": rule_text(collection.get("listRule")),
            "http": f"GET /api/collections/{name}/records",
            "js": (
                f"const page = await pb.collection('{name}').getList(1, 50, {{\n"
                f"  filter: 'created > \"2026-01-01\"',\n  sort: '-created',\n}});\n\n"
                f"const all = await pb.collection('{name}').getFullList({{ sort: '-created' }});"
            ),
            "dart": (
                f"final page = await pb.collection('{name}').getList(\n"
                f"  page: 1,\n  perPage: 50,\n  filter: 'created > \"2026-01-01\"',\n  sort: '-created',\n);"
            ),
            "curl": f"curl '{url}?page=1&perPage=50&sort=-created' \\\n  -H 'Authorization: YOUR_TOKEN'",
        },
        {
            "title": "View one",
            "rule": rule_text(collection.get("viewRule")),
            "http": f"GET /api/collections/{name}/records/:id",
            "js": f"const record = await pb.collection('{name}').getOne('RECORD_ID');",
            "dart": f"final record = await pb.collection('{name}').getOne('RECORD_ID');",
            "curl": f"curl '{url}/RECORD_ID' \\\n  -H 'Authorization: YOUR_TOKEN'",
        },
    ]
    if not is_view:
        file_js = "".join(f"\n// {f}: a File or Blob, e.g. input.files[0]" for f in files)
        out += [
            {
                "title": "Create",
                "rule": rule_text(collection.get("createRule")),
                "http": f"POST /api/collections/{name}/records",
                "js": f"const data = {_js_object(body)};{file_js}\n\nconst record = await pb.collection('{name}').create(data);",
                "dart": (
                    f"final record = await pb.collection('{name}').create(body: {_dart(body)}"
                    + (
                        f",\n  files: [http.MultipartFile.fromBytes('{files[0]}', bytes, filename: 'photo.png')]"
                        if files
                        else ""
                    )
                    + ");"
                ),
                "curl": (
                    f"curl -X POST '{url}' \\\n  -H 'Authorization: YOUR_TOKEN' \\\n"
                    f"  -H 'Content-Type: application/json' \\\n  -d '{json.dumps(body)}'"
                ),
            },
            {
                "title": "Update",
                "rule": rule_text(collection.get("updateRule")),
                "http": f"PATCH /api/collections/{name}/records/:id",
                "js": f"const record = await pb.collection('{name}').update('RECORD_ID', {_js_object(body)});",
                "dart": f"final record = await pb.collection('{name}').update('RECORD_ID', body: {_dart(body)});",
                "curl": (
                    f"curl -X PATCH '{url}/RECORD_ID' \\\n  -H 'Authorization: YOUR_TOKEN' \\\n"
                    f"  -H 'Content-Type: application/json' \\\n  -d '{json.dumps(body)}'"
                ),
            },
            {
                "title": "Delete",
                "rule": rule_text(collection.get("deleteRule")),
                "http": f"DELETE /api/collections/{name}/records/:id",
                "js": f"await pb.collection('{name}').delete('RECORD_ID');",
                "dart": f"await pb.collection('{name}').delete('RECORD_ID');",
                "curl": f"curl -X DELETE '{url}/RECORD_ID' \\\n  -H 'Authorization: YOUR_TOKEN'",
            },
        ]
    out.append(
        {
            "title": "Realtime",
            "rule": "Events are delivered only to subscribers the list/view rule allows.",
            "http": "GET /api/realtime (SSE)",
            "js": (
                f"pb.collection('{name}').subscribe('*', (e) => {{\n  console.log(e.action, e.record);\n}});\n\n"
                f"// later: pb.collection('{name}').unsubscribe('*');"
            ),
            "dart": (
                f"pb.collection('{name}').subscribe('*', (e) {{\n  print('${{e.action}} ${{e.record}}');\n}});"
            ),
            "curl": f"curl -N '{base_url}/api/realtime'",
        }
    )
    if collection["type"] == "auth":
        out.append(
            {
                "title": "Sign in with password",
                "rule": rule_text(collection.get("authRule")),
                "http": f"POST /api/collections/{name}/auth-with-password",
                "js": (
                    f"const auth = await pb.collection('{name}').authWithPassword('test@example.com', '12345678');\n"
                    "console.log(pb.authStore.isValid, pb.authStore.token, pb.authStore.record.id);"
                ),
                "dart": (
                    f"final auth = await pb.collection('{name}').authWithPassword('test@example.com', '12345678');\n"
                    "print(pb.authStore.isValid);"
                ),
                "curl": (
                    f"curl -X POST '{base_url}/api/collections/{name}/auth-with-password' \\\n"
                    "  -H 'Content-Type: application/json' \\\n"
                    '  -d \'{"identity":"test@example.com","password":"12345678"}\''
                ),
            }
        )
    return out


def sdk_setup(base_url: str) -> dict[str, str]:
    return {
        "js": f"import PocketBase from 'pocketbase';\n\nconst pb = new PocketBase('{base_url}');",
        "dart": f"import 'package:pocketbase/pocketbase.dart';\n\nfinal pb = PocketBase('{base_url}');",
        "curl": f"# Sign in first and pass the token as the Authorization header\nBASE={base_url}",
    }
