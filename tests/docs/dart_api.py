"""Checks the Dart samples of the docs without a Dart SDK.

No Dart toolchain can be installed on these machines (Debian, PyPI and npm carry none
that compiles source: npm's ``sass-embedded`` ships only an AOT runtime). So each Dart
sample is checked two ways:

1. **Syntax**: parsed with tree-sitter's Dart grammar (PyPI ``tree-sitter-dart``); a
   sample that does not parse fails. A sample made only of statements is parsed inside
   ``Future<void> main() async { … }``, as the page says it is meant to run.
2. **The pocketbase SDK's API surface**: every call chain that starts at a
   ``PocketBase(…)`` client (``pb.collection('posts').getList(page: 1, …)``,
   ``pb.authStore.isValid``, ``pb.files.getURL(…)``) and every member used on a variable
   whose type comes from such a chain (``record.get<String>('title')``,
   ``result.items``) is looked up in ``pocketbase_dart_api.json``: the classes, members,
   parameters and return types of the real Dart SDK, extracted from its source by
   ``python -m tests.docs.dart_api PATH/TO/dart-sdk`` (its version is in the file).
   An unknown member, a named argument the method does not take or a wrong number of
   positional arguments fails the test.

What this cannot catch: Flutter widget APIs and wrong argument types (only the
pocketbase package's surface is known here).

The samples also run: ``dart_js.py`` translates each page's Dart blocks to JavaScript
and ``test_dart_run.py`` runs them against a live server with ``dart_sdk_shim.mjs``, a
stand-in for the Dart SDK that checks every member it is asked for against the same
surface file (see test_dart_run.py for what is stood in, and which blocks do not run).
What runs there is not the Dart SDK's own code: its request building and parsing are
not exercised by these tests.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_dart

SURFACE_FILE = Path(__file__).with_name("pocketbase_dart_api.json")


@cache
def parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_dart.language()))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode()


def _named(node: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    return [c for c in node.children if c.type == kind]


# --- extracting the surface from the SDK's source ------------------------------------


def _params(plist: tree_sitter.Node) -> dict[str, Any]:
    required = optional = 0
    named: list[str] = []
    types: list[str] = []  # positional parameters' types (callbacks' typedefs matter)
    for child in plist.children:
        if child.type == "formal_parameter":
            required += 1
            types.append(_param_type(child))
        elif child.type == "optional_formal_parameters":
            is_named = any(c.type == "{" for c in child.children)
            for param in _named(child, "formal_parameter"):
                if is_named:
                    named.append(_param_name(param))
                else:
                    optional += 1
                    types.append(_param_type(param))
    return {"positional": [required, required + optional], "named": named, "types": types}


def _param_type(param: tree_sitter.Node) -> str:
    return "".join(
        _text(c) for c in param.children if c.type in ("type_identifier", "type_arguments")
    )


def _typedefs(root: tree_sitter.Node) -> dict[str, list[str]]:
    """``typedef F = R Function(A a, B b)`` → {F: [A, B]} (the callbacks' parameters)."""
    found: dict[str, list[str]] = {}
    for node in _named(root, "type_alias"):
        name = next((c for c in node.children if c.type == "type_identifier"), None)
        function = next((c for c in node.children if c.type == "function_type"), None)
        plist = function and next(
            (c for c in function.children if c.type == "parameter_type_list"), None
        )
        if name is None or plist is None:
            continue
        found[_text(name)] = [
            "".join(
                _text(t) for t in typed.children if t.type in ("type_identifier", "type_arguments")
            )
            for param in _named(plist, "normal_parameter_type")
            for typed in param.children
        ]
    return found


def _param_name(param: tree_sitter.Node) -> str:
    idents = [c for c in param.children if c.type == "identifier"]
    if idents:
        return _text(idents[-1])
    return _text(param).split(".")[-1].split()[-1]


def _type_before(node: tree_sitter.Node, name_node: tree_sitter.Node) -> str:
    parts = []
    for child in node.children:
        if child == name_node:
            break
        if child.type in ("type_identifier", "type_arguments", "void_type", "nullable_type"):
            parts.append(_text(child))
    return "".join(parts)


def _signature(sig: tree_sitter.Node) -> tuple[str, dict[str, Any]] | None:
    """(name, member) of a function/getter signature node."""
    if sig.type == "function_signature":
        plist = _named(sig, "formal_parameter_list")
        name = [c for c in sig.children if c.type == "identifier"][-1]
        member = {"kind": "method", "returns": _type_before(sig, name)}
        member.update(_params(plist[0]) if plist else {"positional": [0, 0], "named": []})
        return _text(name), member
    if sig.type == "getter_signature":
        name = [c for c in sig.children if c.type == "identifier"][-1]
        return _text(name), {"kind": "getter", "returns": _type_before(sig, name)}
    return None


def _class_members(body: tree_sitter.Node, cls: dict[str, Any]) -> None:
    for node in body.children:
        sigs = [node] if node.type == "method_signature" else []
        if node.type == "declaration":
            sigs = [node]
        for holder in sigs:
            for sig in holder.children:
                if sig.type in ("constructor_signature", "factory_constructor_signature"):
                    idents = [c for c in sig.children if c.type == "identifier"]
                    plist = _named(sig, "formal_parameter_list")
                    ctor = _params(plist[0]) if plist else {"positional": [0, 0], "named": []}
                    key = ".".join(_text(i) for i in idents[1:]) or ""
                    cls["constructors"][key] = ctor
                    continue
                found = _signature(sig)
                if found and not found[0].startswith("_"):
                    cls["members"][found[0]] = found[1]
            if node.type == "declaration":
                _fields(node, cls)


def _fields(decl: tree_sitter.Node, cls: dict[str, Any]) -> None:
    kind = "".join(
        _text(c)
        for c in decl.children
        if c.type in ("type_identifier", "type_arguments", "nullable_type")
    )
    for lst in decl.children:
        if lst.type not in ("initialized_identifier_list", "static_final_declaration_list"):
            continue
        for item in lst.children:
            idents = [c for c in item.children if c.type == "identifier"]
            if idents and not _text(idents[0]).startswith("_"):
                cls["members"][_text(idents[0])] = {"kind": "field", "returns": kind}


def extract(source: bytes, typedefs: dict[str, list[str]] | None = None) -> dict[str, Any]:
    classes: dict[str, dict[str, Any]] = {}
    tree = parser().parse(source)
    if typedefs is not None:
        typedefs.update(_typedefs(tree.root_node))
    for node in tree.root_node.children:
        if node.type != "class_definition":
            continue
        name = _text(next(c for c in node.children if c.type == "identifier"))
        cls: dict[str, Any] = {
            "typeParams": [],
            "super": "",
            "members": {},
            "constructors": {},
        }
        for child in node.children:
            if child.type == "type_parameters":
                cls["typeParams"] = [
                    _text(next(c for c in tp.children if c.type == "type_identifier"))
                    for tp in _named(child, "type_parameter")
                ]
            elif child.type == "superclass":
                cls["super"] = "".join(
                    _text(c)
                    for c in child.children
                    if c.type in ("type_identifier", "type_arguments")
                )
            elif child.type == "class_body":
                _class_members(child, cls)
        if not name.startswith("_"):
            classes[name] = cls
    return classes


def build_surface(sdk_dir: Path) -> dict[str, Any]:
    pubspec = (sdk_dir / "pubspec.yaml").read_text()
    version = re.search(r"^version:\s*(\S+)", pubspec, re.M)
    classes: dict[str, Any] = {}
    typedefs: dict[str, list[str]] = {}
    for path in sorted((sdk_dir / "lib").rglob("*.dart")):
        if not path.name.endswith(".g.dart"):
            classes.update(extract(path.read_bytes(), typedefs))
    return {
        "package": "pocketbase",
        "version": version.group(1) if version else "",
        "classes": classes,
        "typedefs": typedefs,
    }


# --- checking a sample -----------------------------------------------------------------


@cache
def surface() -> dict[str, Any]:
    return json.loads(SURFACE_FILE.read_text())


def _base(kind: str) -> str:
    kind = kind.strip().rstrip("?")
    while kind.startswith(("Future<", "FutureOr<")):
        kind = kind[kind.index("<") + 1 : -1].strip().rstrip("?")
    return kind


def _split_generic(kind: str) -> tuple[str, list[str]]:
    if "<" not in kind:
        return kind, []
    name, rest = kind.split("<", 1)
    args, depth, cur = [], 0, ""
    for ch in rest[:-1]:
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        depth += ch == "<"
        depth -= ch == ">"
        cur += ch
    args.append(cur.strip())
    return name, args


@dataclass
class Problems:
    sample: str
    found: list[str] = field(default_factory=list)

    def add(self, node: tree_sitter.Node, message: str) -> None:
        line = node.start_point[0] + 1
        self.found.append(f"line {line}: {message}")


def lookup(kind: str, member: str) -> dict[str, Any] | None:
    """The member of a pocketbase type (inherited ones too, generics bound)."""
    classes = surface()["classes"]
    name, args = _split_generic(_base(kind))
    bindings: dict[str, str] = {}
    while name in classes:
        cls = classes[name]
        bindings = {**dict(zip(cls["typeParams"], args, strict=False)), **bindings}
        if member in cls["members"]:
            found = dict(cls["members"][member])
            found["returns"] = _bind(found.get("returns", ""), bindings)
            return found
        name, args = _split_generic(cls["super"]) if cls["super"] else ("", [])
        args = [bindings.get(a, a) for a in args]
    return None


def _bind(kind: str, bindings: dict[str, str]) -> str:
    return re.sub(r"\b[A-Z]\b", lambda m: bindings.get(m.group(0), m.group(0)), kind)


def known(kind: str) -> bool:
    return _split_generic(_base(kind))[0] in surface()["classes"]


def parse_sample(code: str) -> tree_sitter.Tree:
    """The sample's tree; statements alone are read as the body of an async main()."""
    tree = parser().parse(code.encode())
    if tree.root_node.has_error:
        wrapped = "Future<void> main() async {\n" + code + "\n}\n"
        tree = parser().parse(wrapped.encode())
    return tree


def check(code: str) -> list[str]:
    """Problems found in one Dart sample (empty: it parses and uses the SDK correctly)."""
    tree = parse_sample(code)
    problems = Problems(code)
    if tree.root_node.has_error:
        bad = _first_error(tree.root_node)
        problems.add(bad, f"does not parse as Dart near {_text(bad)[:60]!r}")
        return problems.found
    types: dict[str, str] = {"pb": "PocketBase"}  # the docs' name for the client throughout
    _walk(tree.root_node, types, problems)
    return problems.found


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node:
    for child in node.children:
        if child.type == "ERROR" or child.is_missing:
            return child
        if child.has_error:
            return _first_error(child)
    return node


def _walk(node: tree_sitter.Node, types: dict[str, str], problems: Problems) -> None:
    if node.type == "template_substitution" and _text(node).startswith("${"):
        # the grammar reads `${a.get<String>('x')}` as comparisons: parse it on its own
        inner = parser().parse(f"void f() {{ {_text(node)[2:-1]}; }}".encode())
        if not inner.root_node.has_error:
            _walk(inner.root_node, types, problems)
        return
    if node.type == "try_statement":
        _declare_catches(node, types)
    if node.type in ("initialized_variable_definition", "static_final_declaration"):
        _declare(node, types, problems)
    elif node.type == "for_loop_parts" and any(c.type == "in" for c in node.children):
        _declare_loop(node, types, problems)
    elif node.type in ("expression_statement", "argument", "return_statement", "named_argument"):
        _chain(node, types, problems)
    for child in node.children:
        _walk(child, types, problems)


def _declare(node: tree_sitter.Node, types: dict[str, str], problems: Problems) -> None:
    idents = [c for c in node.children if c.type == "identifier"]
    if not idents:
        return
    name = _text(idents[0])
    kind = _chain(node, types, problems, start=1)
    if kind:
        types[name] = kind


def _declare_catches(node: tree_sitter.Node, types: dict[str, str]) -> None:
    """``on ClientException catch (e)``: e is a ClientException."""
    caught = ""
    for child in node.children:
        if child.type == "type_identifier":
            caught = _text(child)
        elif child.type == "catch_clause":
            params = next((c for c in child.children if c.type == "catch_parameters"), None)
            names = [c for c in params.children if c.type == "identifier"] if params else []
            if caught and names:
                types[_text(names[0])] = caught
            caught = ""


def _declare_loop(node: tree_sitter.Node, types: dict[str, str], problems: Problems) -> None:
    idents = [c for c in node.children if c.type == "identifier"]
    kind = _chain(node, types, problems, start=1) or ""
    name, args = _split_generic(_base(kind))
    if idents and name == "List" and args:
        types[_text(idents[0])] = args[0]


def _chain(
    node: tree_sitter.Node, types: dict[str, str], problems: Problems, start: int = 0
) -> str | None:
    """Resolve ``head.selector…`` among the node's children; report unknown members."""
    children = [c for c in node.children if c.type not in ("await", "=", "final_builtin")]
    inner = next(
        (c for c in node.children if c.type in ("unary_expression", "await_expression")), None
    )
    if inner is not None and not any(c.type == "selector" for c in node.children):
        return _chain(inner, types, problems)
    heads = [c for c in children if c.type == "identifier"]
    if not heads:
        return None
    head = heads[start] if start < len(heads) else heads[0]
    selectors = [c for c in children if c.type == "selector" and c.start_byte > head.start_byte]
    kind: str | None
    name = _text(head)
    classes = surface()["classes"]
    if name in classes and selectors and _args_of(selectors[0]) is not None:
        # a constructor call: PocketBase('…'), AsyncAuthStore(save: …, initial: …)
        constructor = classes[name]["constructors"].get("")
        if constructor is None:
            problems.add(head, f"{name} has no unnamed constructor")
            return None
        _check_args(selectors[0], constructor, f"{name}()", problems)
        kind = name
        selectors = selectors[1:]
    else:
        kind = types.get(name)
    if kind is None:
        return None
    i = 0
    while i < len(selectors) and kind is not None:
        sel = selectors[i]
        member_node = _member_of(sel)
        if member_node is None:
            if _is_null_assert(sel):
                i += 1
                continue
            return None
        member = lookup(kind, _text(member_node))
        if member is None:
            if known(kind):
                problems.add(member_node, f"{_base(kind)} has no member {_text(member_node)!r}")
            return None
        i += 1
        # generic type arguments (record.get<String>(…)) come in the next selector(s)
        type_args = None
        while i < len(selectors) and _type_args_of(selectors[i]) is not None:
            type_args = _type_args_of(selectors[i])
            i += 1
        if member["kind"] == "method":
            if i >= len(selectors) or _args_of(selectors[i]) is None:
                kind = None  # a tear-off: stop following
                continue
            what = f"{_base(kind)}.{_text(member_node)}"
            _check_args(selectors[i], member, what, problems, types)
            i += 1
        returns = member.get("returns", "")
        if type_args and returns in ("T", "List<T>"):
            returns = returns.replace("T", type_args)
        kind = returns or None
    return kind


def _bind_callbacks(
    arguments: list[tree_sitter.Node], param_types: list[str], types: dict[str, str]
) -> None:
    """``subscribe('*', (e) {…})``: e gets the type the SDK's callback typedef gives it."""
    typedefs = surface().get("typedefs", {})
    for argument, kind in zip(arguments, param_types, strict=False):
        function = next((c for c in argument.children if c.type == "function_expression"), None)
        plist = function and next(
            (c for c in function.children if c.type == "formal_parameter_list"), None
        )
        if plist is None or kind not in typedefs:
            continue
        for param, param_kind in zip(
            _named(plist, "formal_parameter"), typedefs[kind], strict=False
        ):
            if known(param_kind):
                types[_param_name(param)] = param_kind


def _member_of(sel: tree_sitter.Node) -> tree_sitter.Node | None:
    for child in sel.children:
        if child.type in ("unconditional_assignable_selector", "conditional_assignable_selector"):
            return next((c for c in child.children if c.type == "identifier"), None)
    return None


def _is_null_assert(sel: tree_sitter.Node) -> bool:
    return _text(sel).strip() == "!"


def _args_of(sel: tree_sitter.Node) -> tree_sitter.Node | None:
    for child in sel.children:
        if child.type == "argument_part":
            return next((c for c in child.children if c.type == "arguments"), None)
    return None


def _type_args_of(sel: tree_sitter.Node) -> str | None:
    for child in sel.children:
        if child.type == "argument_part":
            targs = next((c for c in child.children if c.type == "type_arguments"), None)
            if targs is not None:
                return _text(targs)[1:-1]
    return None


def _check_args(
    sel: tree_sitter.Node,
    member: dict[str, Any],
    what: str,
    problems: Problems,
    types: dict[str, str] | None = None,
) -> None:
    args = _args_of(sel)
    if args is None:
        return
    positional = [c for c in args.children if c.type == "argument"]
    if types is not None:
        _bind_callbacks(positional, member.get("types", []), types)
    named = [c for c in args.children if c.type == "named_argument"]
    low, high = member["positional"]
    if not low <= len(positional) <= high:
        problems.add(args, f"{what} takes {low}–{high} positional arguments, not {len(positional)}")
    for arg in named:
        label = _text(arg.children[0]).rstrip(":").strip()
        if label not in member["named"]:
            problems.add(arg, f"{what} has no named parameter {label!r}")


if __name__ == "__main__":  # python -m tests.docs.dart_api PATH/TO/pocketbase/dart-sdk [COMMIT]
    data = build_surface(Path(sys.argv[1]))
    if len(sys.argv) > 2:
        data["commit"] = sys.argv[2]
    SURFACE_FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{len(data['classes'])} classes of pocketbase {data['version']} → {SURFACE_FILE}")
