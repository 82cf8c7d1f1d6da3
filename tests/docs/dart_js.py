"""Translates the Dart subset the docs' samples use into JavaScript, to run under Node.

No Dart toolchain installs on these machines, so a page's Dart blocks are translated,
from tree-sitter-dart's syntax tree, into one ES module that runs against
``dart_sdk_shim.mjs``: a class-for-class stand-in for the ``pocketbase`` Dart package
(and the few other packages the samples import) built over the real npm SDK.

What the translation keeps of Dart:

- Every member access and call goes through the stand-in's runtime (``$d.get``,
  ``$d.call``, ``$d.invoke``): members of ``pocketbase`` objects are checked against
  the Dart SDK's API surface (``pocketbase_dart_api.json``), named arguments travel as
  a ``Named`` bag the callee unpacks by name, generic type arguments
  (``get<String>('x')``) are passed as type names so the stand-in converts the way the
  SDK's caster does, and members of Dart core values (``String.isNotEmpty``,
  ``List.map``, ``Map['k']``) come from a small Dart-core stand-in that fails on
  anything it does not know instead of answering ``undefined``.
- ``print`` and string interpolation use Dart's ``toString`` (``{a: 1}``, ``[1, 2]``).
- ``x!`` throws on null; ``on T catch (e)`` only catches a ``T``; ``a?.b`` is null-aware.
- Declarations (final/var/const/typed, late), functions and closures (block and arrow
  bodies, async), await, list/map literals (with collection if/for/spread), if/else,
  for/for-in, while, try/on/catch/finally, assignment, the usual operators.

Anything else (classes, cascades, records, patterns, switch…) raises ``DartError`` with
the sample's location: code is never silently dropped. Types are dropped except where
Dart acts on them at run time (generic arguments, ``is``, ``as``, ``on``).

A page is one program: its blocks are separate Dart files that share the top level (a
later block may use the ``pb`` an earlier one declared, or declare its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import tree_sitter

from tests.docs import dart_api

# package URI → the stand-in's library name (dart_sdk_shim.mjs LIBRARIES)
PACKAGES = {
    "package:pocketbase/pocketbase.dart": "pocketbase",
    "package:http/http.dart": "http",
    "package:shared_preferences/shared_preferences.dart": "shared_preferences",
    "package:flutter/material.dart": "flutter",
    "package:flutter_test/flutter_test.dart": "flutter_test",
    "dart:async": "dart:async",
    "dart:convert": "dart:convert",
}
# members a class may inherit from a stood-in base class (Flutter's State)
INHERITED = {"setState", "widget", "context", "mounted"}
# functions the docs say the reader's app provides (docs/index.md: askUser)
APP_PROVIDED = {"askUser"}

JS_RESERVED = {
    "arguments", "await", "delete", "eval", "function", "in", "instanceof", "let",
    "typeof", "undefined", "yield", "NaN", "Infinity", "Object", "Array", "Promise",
    "console", "globalThis", "Symbol", "Math", "JSON", "Error", "Date", "Number",
}  # fmt: skip

DEFINITIONS = {"local_variable_declaration", "initialized_variable_definition"}


class DartError(Exception):
    """A construct the translator does not handle (message names the sample line)."""


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode()


def _kids(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for c in node.children if c.type != "comment"]


@dataclass
class Page:
    """The translation of one page: its blocks in order, as one program."""

    imports: dict[str, str | None] = field(default_factory=dict)  # library → prefix
    top: set[str] = field(default_factory=set)  # top-level names the page declares
    free: set[str] = field(default_factory=set)  # names that come from libraries
    parts: list[str] = field(default_factory=list)
    functions: list[list[str]] = field(default_factory=list)  # per block

    def header(self) -> str:
        libraries = ["dart:core", *self.imports]
        prefixed = {p for p in self.imports.values() if p}
        lines = [
            f"const {prefix} = $d.library({json.dumps(lib)});"
            for lib, prefix in self.imports.items()
            if prefix
        ]
        names = sorted(self.free - prefixed - APP_PROVIDED)
        unprefixed = [lib for lib in libraries if not self.imports.get(lib)]
        if names:
            lines.append(
                f"const {{ {', '.join(_js_name(n) + ': ' + _js_name(n) if _js_name(n) != n else n for n in names)} }}"
                f" = $d.resolve({json.dumps(unprefixed)}, {json.dumps(names)});"
            )
        for name in sorted(self.free & APP_PROVIDED):
            lines.append(f"const {name} = globalThis.{name};")
        return "\n".join(lines)


def _js_name(name: str) -> str:
    return name + "$" if name in JS_RESERVED else name


class Translator:
    def __init__(self, page: Page, where: str, code: str, first_line: int) -> None:
        self.page = page
        self.where = where
        self.first_line = first_line  # the doc line of the block's first code line
        self.tree = dart_api.parse_sample(code)
        self.wrapped = self.tree.root_node.text != code.encode()  # statements in main()
        self.scopes: list[set[str]] = [page.top]
        self.members: list[set[str]] = []  # the enclosing class's members

    # --- helpers ---------------------------------------------------------------------

    def line(self, node: tree_sitter.Node) -> int:
        return self.first_line + node.start_point[0] - (1 if self.wrapped else 0)

    def fail(self, node: tree_sitter.Node, what: str = "") -> DartError:
        snippet = " ".join(_text(node).split())[:70]
        reason = what or f"unsupported Dart syntax ({node.type})"
        return DartError(f"{self.where.split(':')[0]}:{self.line(node)}: {reason}: {snippet!r}")

    def declare(self, name: str) -> str:
        self.scopes[-1].add(name)
        return _js_name(name)

    def ref(self, name: str) -> str:
        """An identifier as a value: a local, a member of the enclosing class (implicit
        ``this``), a top-level name of the page, or a library's export."""
        if any(name in scope for scope in self.scopes[1:]):
            return _js_name(name)
        if self.is_member(name):
            return f"$d.get(this, {json.dumps(name)})"
        if name not in self.page.top:
            self.page.free.add(name)
        return _js_name(name)

    def is_member(self, name: str) -> bool:
        if not self.members:
            return False
        return name in self.members[-1] or name in INHERITED

    def scoped(self, fn, *args):  # type: ignore[no-untyped-def]
        self.scopes.append(set())
        try:
            return fn(*args)
        finally:
            self.scopes.pop()

    # --- the program ---------------------------------------------------------------

    def declared_names(self) -> list[str]:
        """Top-level names of this block (first pass: Dart's top level is unordered)."""
        names = []
        for node in _kids(self.tree.root_node):
            if node.type == "function_signature":
                names.append(_text(self._name_of(node)))
            elif node.type == "class_definition":
                names.append(_text(next(c for c in node.children if c.type == "identifier")))
            elif node.type == "static_final_declaration_list":
                for decl in node.children:
                    if decl.type == "static_final_declaration":
                        names.append(_text(decl.children[0]))
            elif node.type in ("initialized_identifier_list",):
                for decl in node.children:
                    if decl.type == "initialized_identifier":
                        names.append(_text(decl.children[0]))
        return names

    def program(self) -> tuple[str, list[str]]:
        out: list[str] = []
        functions: list[str] = []
        nodes = _kids(self.tree.root_node)
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if node.type == "import_or_export":
                self.import_(node)
            elif node.type == "function_signature":
                body = nodes[i + 1] if i + 1 < len(nodes) else None
                if body is None or body.type != "function_body":
                    raise self.fail(node, "a function declaration without a body")
                name = _text(self._name_of(node))
                functions.append(name)
                out.append(f"$d.at({self.line(node)});")
                out.append(self.function(node, body, declaration=True))
                i += 1
            elif node.type in ("final_builtin", "const_builtin", "inferred_type"):
                pass  # the modifier of the declaration list that follows
            elif node.type in ("type_identifier", "type_arguments", "nullable_type"):
                pass  # the declared type of the top-level variable that follows
            elif node.type in ("static_final_declaration_list", "initialized_identifier_list"):
                for decl in node.children:
                    if decl.type in ("static_final_declaration", "initialized_identifier"):
                        out.append(f"$d.at({self.line(decl)});")
                        out.append(self.top_variable(decl))
                    elif decl.type != ",":
                        raise self.fail(decl)
            elif node.type == "class_definition":
                out.append(f"$d.at({self.line(node)});")
                out.append(self.class_(node))
            elif node.type == ";":
                pass
            else:
                raise self.fail(node)
            i += 1
        return "\n".join(out), functions

    # --- classes ---------------------------------------------------------------------

    def class_(self, node: tree_sitter.Node) -> str:
        """A class: fields initialised in the constructor, methods, getters."""
        name = _text(next(c for c in node.children if c.type == "identifier"))
        base = "$d.DartObject"
        body = None
        for child in node.children:
            if child.type == "superclass":
                if any(c.type in ("mixins", "with") for c in child.children):
                    raise self.fail(child, "mixins")
                base = self.ref(
                    _text(next(c for c in child.children if c.type == "type_identifier"))
                )
            elif child.type == "class_body":
                body = child
            elif child.type not in ("class", "identifier", "type_parameters"):
                raise self.fail(child)
        assert body is not None
        kids = _kids(body)
        members: set[str] = set()
        for kid in kids:  # first pass: every member's name (used before declared)
            if kid.type == "method_signature":
                sig = kid.children[0]
                members.add(_text(self._name_of(sig)))
            elif kid.type == "declaration":
                for lst in kid.children:
                    if lst.type == "initialized_identifier_list":
                        for item in lst.children:
                            if item.type == "initialized_identifier":
                                members.add(_text(item.children[0]))
        self.members.append(members)
        try:
            fields: list[str] = []
            constructor = None
            methods: list[str] = []
            i = 0
            while i < len(kids):
                kid = kids[i]
                if kid.type in ("{", "}"):
                    pass
                elif kid.type == "annotation":
                    if _text(kid) != "@override":
                        raise self.fail(kid, "annotations other than @override")
                elif kid.type == "declaration":
                    ctor = next(
                        (
                            c
                            for c in kid.children
                            if c.type in ("constructor_signature", "constant_constructor_signature")
                        ),
                        None,
                    )
                    if ctor is not None:
                        if constructor is not None or len(_kids(kid)) != 1:
                            raise self.fail(kid, "constructors beyond one plain one")
                        constructor = ctor
                    else:
                        fields.extend(self.field(kid))
                elif kid.type == "method_signature":
                    body_node = kids[i + 1] if i + 1 < len(kids) else None
                    if body_node is None or body_node.type != "function_body":
                        raise self.fail(kid, "abstract methods")
                    methods.append(self.method(kid, body_node))
                    i += 1
                elif kid.type != ";":
                    raise self.fail(kid)
                i += 1
            init = self.constructor(constructor, fields)
        finally:
            self.members.pop()
        return f"class {_js_name(name)} extends {base} {{\n{init}\n" + "\n".join(methods) + "\n}"

    def field(self, decl: tree_sitter.Node) -> list[str]:
        out = []
        for child in decl.children:
            if child.type in ("static", "static_final_declaration_list"):
                raise self.fail(decl, "static members")
            if child.type != "initialized_identifier_list":
                continue
            for item in child.children:
                if item.type == "initialized_identifier":
                    sub = _kids(item)
                    value = self.expr_seq(sub[2:]) if len(sub) > 2 else "null"
                    out.append(f"this.{_js_name(_text(sub[0]))} = {value};")
        return out

    def constructor(self, sig: tree_sitter.Node | None, fields: list[str]) -> str:
        """JS constructor: the super part of the named bag passes on, then the fields."""
        if sig is None:
            return "constructor(...$args) {\nsuper(...$args);\n" + "\n".join(fields) + "\n}"
        plist = next(c for c in sig.children if c.type == "formal_parameter_list")
        if any(c.type not in ("(", ")", "optional_formal_parameters") for c in plist.children):
            raise self.fail(plist, "positional constructor parameters")
        for opt in (c for c in plist.children if c.type == "optional_formal_parameters"):
            if not any(c.type == "{" for c in opt.children):
                raise self.fail(opt)
            for param in (c for c in opt.children if c.type == "formal_parameter"):
                if not any(c.type == "super_formal_parameter" for c in param.children):
                    raise self.fail(param, "constructor parameters other than super.x")
        return "constructor($named) {\nsuper($named);\n" + "\n".join(fields) + "\n}"

    def method(self, sig_holder: tree_sitter.Node, body: tree_sitter.Node) -> str:
        sig = sig_holder.children[0]
        if sig.type == "getter_signature":
            name = _js_name(_text(self._name_of(sig)))
            self.scopes.append(set())
            try:
                arrow = [c for c in _kids(body) if c.type not in ("async", "=>", ";")]
                if any(c.type == "=>" for c in body.children):
                    inner = f"return {self.expr_seq(arrow)};"
                else:
                    inner = self.block_body(next(c for c in body.children if c.type == "block"))
            finally:
                self.scopes.pop()
            return f"get {name}() {{\n{inner}\n}}"
        if sig.type != "function_signature":
            raise self.fail(sig, "operators, setters and static methods")
        function = self.function(sig, body, declaration=True)
        return function.replace("async function ", "async ", 1).removeprefix("function ")

    def import_(self, node: tree_sitter.Node) -> None:
        spec = node.children[0].children[0] if node.children[0].children else node
        uri = next((c for c in spec.children if c.type == "configurable_uri"), None)
        if uri is None or spec.type != "import_specification":
            raise self.fail(node)
        target = _text(uri).strip("'\"")
        library = PACKAGES.get(target)
        if library is None:
            raise self.fail(node, "an import the stand-in does not provide")
        prefix = None
        names = [c for c in spec.children if c.type == "identifier"]
        if any(c.type == "as" for c in spec.children):
            prefix = _text(names[0])
            self.page.top.add(prefix)
        elif any(c.type == "combinator" for c in spec.children):
            raise self.fail(node, "show/hide imports")
        known = self.page.imports.get(library, prefix)
        if known != prefix:
            raise self.fail(node, "the same library imported under two prefixes on one page")
        self.page.imports[library] = prefix

    def top_variable(self, decl: tree_sitter.Node) -> str:
        kids = _kids(decl)
        name = _text(kids[0])
        value = self.expr_seq(kids[2:]) if len(kids) > 2 else "null"
        # `var`: a later block (another file of the page) may declare the same name
        return f"var {_js_name(name)} = {value};"

    # --- functions -------------------------------------------------------------------

    def _name_of(self, sig: tree_sitter.Node) -> tree_sitter.Node:
        return [c for c in sig.children if c.type == "identifier"][-1]

    def function(
        self, sig: tree_sitter.Node | None, body: tree_sitter.Node, declaration: bool = False
    ) -> str:
        """A declaration (``name(...) {}``) or, with sig a formal_parameter_list, a closure."""
        plist = (
            sig
            if sig is not None and sig.type == "formal_parameter_list"
            else next((c for c in sig.children if c.type == "formal_parameter_list"), None)
            if sig is not None
            else None
        )
        if sig is not None and any(c.type == "type_parameters" for c in sig.children):
            raise self.fail(sig, "generic functions")
        self.scopes.append(set())
        try:
            params, prologue = self.params(plist)
            is_async = any(c.type == "async" for c in body.children)
            if any(c.type in ("async*", "sync*", "*") for c in body.children):
                raise self.fail(body, "generators")
            if any(c.type == "=>" for c in body.children):
                arrow = [c for c in _kids(body) if c.type not in ("async", "=>", ";")]
                value = self.expr_seq(arrow)
                inner = f"{prologue}return {value};"
            else:
                block = next(c for c in body.children if c.type == "block")
                inner = prologue + self.block_body(block)
        finally:
            self.scopes.pop()
        prefix = "async " if is_async else ""
        if declaration and sig is not None:
            name = _js_name(_text(self._name_of(sig)))
            return f"{prefix}function {name}({params}) {{\n{inner}\n}}"
        return f"({prefix}({params}) => {{\n{inner}\n}})"  # lexical this, as in Dart

    def params(self, plist: tree_sitter.Node | None) -> tuple[str, str]:
        """JS parameters and a prologue unpacking named ones from the trailing bag."""
        if plist is None:
            return "", ""
        names: list[str] = []
        prologue: list[str] = []
        for child in plist.children:
            if child.type == "formal_parameter":
                names.append(self.declare(self._param_name(child)))
            elif child.type == "optional_formal_parameters":
                named = any(c.type == "{" for c in child.children)
                if named and any(c.type == "[" for c in plist.children):
                    raise self.fail(child)
                items = self._optional_items(child)
                if named:
                    if any(
                        c.type == "optional_formal_parameters"
                        for c in plist.children
                        if c is not child and c.type == "optional_formal_parameters"
                    ):
                        raise self.fail(child)
                    names.append("$named")
                    for param, default, required in items:
                        js = self.declare(self._param_name(param))
                        key = json.dumps(self._param_name(param))
                        prologue.append(
                            f"let {js} = $d.arg($named, {key}, {default or 'null'}, {str(required).lower()});"
                        )
                else:
                    for param, default, _ in items:
                        js = self.declare(self._param_name(param))
                        names.append(f"{js} = {default or 'null'}")
            elif child.type not in ("(", ")", ","):
                raise self.fail(child)
        return ", ".join(names), "".join(p + "\n" for p in prologue)

    def _optional_items(
        self, node: tree_sitter.Node
    ) -> list[tuple[tree_sitter.Node, str | None, bool]]:
        items: list[tuple[tree_sitter.Node, str | None, bool]] = []
        required = False
        kids = _kids(node)
        i = 0
        while i < len(kids):
            kid = kids[i]
            if kid.type == "required":
                required = True
            elif kid.type in ("formal_parameter", "super_formal_parameter"):
                if kid.type == "super_formal_parameter":
                    raise self.fail(kid)
                default = None
                if i + 1 < len(kids) and kids[i + 1].type in ("=", ":"):
                    default = self.expr(kids[i + 2])
                    i += 2
                items.append((kid, default, required))
                required = False
            elif kid.type not in ("{", "}", "[", "]", ","):
                raise self.fail(kid)
            i += 1
        return items

    def _param_name(self, param: tree_sitter.Node) -> str:
        if any(
            c.type in ("this", "super", "function_type", "formal_parameter_list")
            for c in param.children
        ):
            raise self.fail(param, "this./super./function-typed parameters")
        idents = [c for c in param.children if c.type == "identifier"]
        if not idents:
            raise self.fail(param)
        return _text(idents[-1])

    # --- statements ------------------------------------------------------------------

    def block_body(self, block: tree_sitter.Node) -> str:
        return "\n".join(self.statement(s) for s in _kids(block) if s.type not in ("{", "}"))

    def block(self, node: tree_sitter.Node) -> str:
        if node.type == "block":
            return "{\n" + self.scoped(self.block_body, node) + "\n}"
        return "{\n" + self.scoped(self.statement, node) + "\n}"

    def statement(self, node: tree_sitter.Node) -> str:
        at = f"$d.at({self.line(node)}); "
        kind = node.type
        kids = _kids(node)
        if kind == "local_variable_declaration":
            return at + self.local_variables(kids[0]) + ";"
        if kind == "expression_statement":
            return at + self.expr_seq([k for k in kids if k.type != ";"]) + ";"
        if kind == "return_statement":
            rest = [k for k in kids if k.type not in ("return", ";")]
            return at + ("return " + self.expr_seq(rest) if rest else "return") + ";"
        if kind == "block":
            return self.block(node)
        if kind == "if_statement":
            return at + self.if_statement(kids)
        if kind == "for_statement":
            return at + self.for_statement(kids)
        if kind == "while_statement":
            cond, i = self.parens(kids)
            return f"{at}while ($d.bool({cond})) {self.block(kids[i])}"
        if kind == "try_statement":
            return at + self.try_statement(kids)
        if kind == "break_statement" and len(kids) <= 2:
            return "break;"
        if kind == "continue_statement" and len(kids) <= 2:
            return "continue;"
        if kind == "local_function_declaration":
            lam = kids[0]
            sig, body = lam.children[0], lam.children[1]
            self.declare(_text(self._name_of(sig)))
            return at + self.function(sig, body, declaration=True)
        if kind == "assert_statement":
            raise self.fail(node)
        raise self.fail(node)

    def local_variables(self, node: tree_sitter.Node) -> str:
        if node.type != "initialized_variable_definition":
            raise self.fail(node)
        kids = _kids(node)
        out: list[str] = []
        i = 0
        while i < len(kids):
            kid = kids[i]
            if kid.type in (
                "final_builtin", "const_builtin", "inferred_type", "type_identifier",
                "type_arguments", "nullable_type", "late", "void_type", "function_type",
            ):  # fmt: skip
                i += 1
                continue
            if kid.type == "identifier":
                name = _text(kid)
                j = i + 1
                value = "null"
                if j < len(kids) and kids[j].type == "=":
                    k = j + 1
                    while k < len(kids) and kids[k].type != ",":
                        k += 1
                    value = self.expr_seq(kids[j + 1 : k])
                    j = k
                out.append(f"{self.declare(name)} = {value}")
                i = j
                continue
            if kid.type == "initialized_identifier":
                sub = _kids(kid)
                value = self.expr_seq(sub[2:]) if len(sub) > 2 else "null"
                out.append(f"{self.declare(_text(sub[0]))} = {value}")
            elif kid.type != ",":
                raise self.fail(kid)
            i += 1
        return "let " + ", ".join(out)

    def if_statement(self, kids: list[tree_sitter.Node]) -> str:
        cond, i = self.parens(kids)
        out = f"if ($d.bool({cond})) {self.block(kids[i])}"
        if len(kids) > i + 1:
            if kids[i + 1].type != "else" or len(kids) != i + 3:
                raise self.fail(kids[i + 1])
            out += f" else {self.block(kids[i + 2])}"
        return out

    def for_statement(self, kids: list[tree_sitter.Node]) -> str:
        if kids[0].type != "for" or kids[1].type != "for_loop_parts":
            raise self.fail(kids[0], "await for")
        parts = [p for p in _kids(kids[1]) if p.type not in ("(", ")")]
        self.scopes.append(set())
        try:
            if any(p.type == "in" for p in parts):
                name = [p for p in parts if p.type == "identifier"][0]
                source = self.expr_seq(parts[[p.type for p in parts].index("in") + 1 :])
                head = f"for (const {self.declare(_text(name))} of $d.iter({source}))"
            else:
                head = self.classic_for(kids[1])
            return f"{head} {self.block(kids[2])}"
        finally:
            self.scopes.pop()

    def classic_for(self, parts_node: tree_sitter.Node) -> str:
        parts = [p for p in _kids(parts_node) if p.type not in ("(", ")")]
        init = ""
        if parts and parts[0].type == "local_variable_declaration":
            init = self.local_variables(_kids(parts[0])[0])
            parts = parts[1:]
            pieces: list[list[tree_sitter.Node]] = [[]]
        else:
            pieces = [[]]
        for part in parts:
            if part.type == ";":
                pieces.append([])
            else:
                pieces[-1].append(part)
        if not init:
            if len(pieces) != 3:
                raise self.fail(parts_node)
            first = pieces.pop(0)
            init = self.expr_seq(first) if first else ""
        if len(pieces) != 2:
            raise self.fail(parts_node)
        cond = self.expr_seq(pieces[0]) if pieces[0] else "true"
        updates = ", ".join(self.expr_seq(g) for g in _groups(pieces[1], ()))
        return f"for ({init}; $d.bool({cond}); {updates})"

    def try_statement(self, kids: list[tree_sitter.Node]) -> str:
        body = self.block(kids[1])
        clauses: list[str] = []
        final = ""
        i = 2
        while i < len(kids):
            kid = kids[i]
            if kid.type == "finally":
                final = f" finally {self.block(kids[i + 1])}"
                i += 2
                continue
            caught = None
            if kid.type == "on":
                caught = _text(kids[i + 1])
                i += 2
            names: list[str] = []
            if i < len(kids) and kids[i].type == "catch_clause":
                params = next(c for c in kids[i].children if c.type == "catch_parameters")
                names = [_text(c) for c in params.children if c.type == "identifier"]
                i += 1
            block = kids[i]
            i += 1
            self.scopes.append(set())
            try:
                binds = ""
                if names:
                    binds += f"let {self.declare(names[0])} = $err;\n"
                if len(names) > 1:
                    binds += f"let {self.declare(names[1])} = $d.stack($err);\n"
                inner = binds + self.block_body(block)
            finally:
                self.scopes.pop()
            test = f"$d.is($err, {json.dumps(caught)})" if caught else "true"
            clauses.append(f"if ({test}) {{\n{inner}\n}}")
        out = f"try {body}"
        if clauses:
            out += " catch ($err) {\n" + " else ".join(clauses) + " else { throw $err; }\n}"
        return out + final

    # --- expressions -----------------------------------------------------------------

    def expr_seq(self, nodes: list[tree_sitter.Node]) -> str:
        """One expression given as sibling nodes: a primary and its selectors."""
        nodes = [n for n in nodes if n.type != "comment"]
        if not nodes:
            raise DartError(f"{self.where}: an empty expression")
        if nodes[0].type == "await":
            return f"(await {self.expr_seq(nodes[1:])})"
        if nodes[0].type in ("final_builtin", "const_builtin"):
            return self.expr_seq(nodes[1:])
        if len(nodes) == 1:
            return self.expr(nodes[0])
        return self.chain(nodes[0], nodes[1:])

    def chain(
        self,
        primary: tree_sitter.Node,
        selectors: list[tree_sitter.Node],
        trailing_call: tuple[str, str] | None = None,
    ) -> str:
        if primary.type == "super":  # super.name(...): the base class's method, on this
            first = selectors[0] if selectors else None
            member = first and next((c for c in first.children if c.type == "identifier"), None)
            if first is None or first.type != "unconditional_assignable_selector" or not member:
                raise self.fail(primary)
            acc = f"super.{_js_name(_text(member))}.bind(this)"
            return self.apply(acc, selectors[1:], trailing_call)
        return self.apply(self.expr(primary), selectors, trailing_call)

    def apply(
        self,
        acc: str,
        selectors: list[tree_sitter.Node],
        trailing_call: tuple[str, str] | None = None,
    ) -> str:
        """``acc`` followed by selectors (.member, ?.member, (args), [index], !)."""
        items: list[tuple[str, tree_sitter.Node]] = []  # (kind, node)
        for sel in selectors:
            if sel.type == "cascade_section":
                raise self.fail(sel, "cascades")
            inner = sel.children[0] if sel.type == "selector" else sel
            if inner.type in (
                "unconditional_assignable_selector",
                "conditional_assignable_selector",
            ):
                index = next((c for c in inner.children if c.type == "index_selector"), None)
                if index is not None:
                    items.append(("index", index))
                    continue
                ident = next((c for c in inner.children if c.type == "identifier"), None)
                if ident is None:
                    raise self.fail(sel)
                kind = "member?" if inner.type.startswith("conditional") else "member"
                items.append((kind, ident))
            elif inner.type == "argument_part":
                items.append(("call", inner))
            elif inner.type == "index_selector":
                items.append(("index", inner))
            elif _text(inner) == "!":
                items.append(("!", inner))
            else:
                raise self.fail(sel)
        i = 0
        while i < len(items):
            kind, node = items[i]
            if kind in ("member", "member?"):
                name = json.dumps(_text(node))
                q = "q" if kind == "member?" else ""
                last = i == len(items) - 1
                if i + 1 < len(items) and items[i + 1][0] == "call":
                    types, args = self.arguments(items[i + 1][1])
                    acc = f"$d.call{q}({acc}, {name}, {types}, {args})"
                    i += 2
                    continue
                if last and trailing_call is not None:
                    types, args = trailing_call
                    acc = f"$d.call{q}({acc}, {name}, {types}, {args})"
                    trailing_call = None
                else:
                    acc = f"$d.get{q}({acc}, {name})"
            elif kind == "call":
                types, args = self.arguments(node)
                acc = f"$d.invoke({acc}, {types}, {args})"
            elif kind == "index":
                acc = f"$d.index({acc}, {self.expr_seq(_kids(node)[1:-1])})"
            elif kind == "!":
                acc = f"$d.nn({acc})"
            i += 1
        if trailing_call is not None:
            types, args = trailing_call
            acc = f"$d.invoke({acc}, {types}, {args})"
        return acc

    def arguments(self, part: tree_sitter.Node) -> tuple[str, str]:
        """(type names, positional and named arguments) of an argument_part."""
        types = "[]"
        targs = next((c for c in part.children if c.type == "type_arguments"), None)
        if targs is not None:
            types = json.dumps(self.type_list(targs))
        args = (
            part
            if part.type == "arguments"
            else next((c for c in part.children if c.type == "arguments"), None)
        )
        if args is None:
            raise self.fail(part)
        positional: list[str] = []
        named: list[str] = []
        for arg in _kids(args):
            if arg.type == "argument":
                positional.append(self.expr_seq(_kids(arg)))
            elif arg.type == "named_argument":
                label = _text(arg.children[0]).rstrip(":").strip()
                named.append(f"{json.dumps(label)}: {self.expr_seq(_kids(arg)[1:])}")
            elif arg.type not in ("(", ")", ","):
                raise self.fail(arg)
        pos = "[" + ", ".join(positional) + "]"
        return types, pos + (", {" + ", ".join(named) + "}" if named else "")

    def type_list(self, targs: tree_sitter.Node) -> list[str]:
        return [t.strip() for t in _split_types(_text(targs)[1:-1])]

    def expr(self, node: tree_sitter.Node) -> str:  # noqa: C901 - one case per node type
        kind = node.type
        kids = _kids(node)
        if kind == "identifier":
            return self.ref(_text(node))
        if kind in ("decimal_integer_literal", "decimal_floating_point_literal"):
            return _text(node).replace("_", "")
        if kind == "hex_integer_literal":
            return _text(node)
        if kind in ("true", "false"):
            return kind
        if kind == "null_literal":
            return "null"
        if kind == "this":
            return "this"
        if kind == "string_literal":
            return self.string(node)
        if kind == "list_literal":
            return self.list_literal(kids)
        if kind == "set_or_map_literal":
            return self.map_literal(node, kids)
        if kind == "parenthesized_expression":
            return "(" + self.expr_seq(kids[1:-1]) + ")"
        if kind in ("unary_expression", "argument", "assignable_expression"):
            if kids and kids[0].type in (
                "prefix_operator",
                "negation_operator",
                "minus_operator",
                "!",
                "-",
            ):
                op = _text(kids[0])
                rest = self.expr_seq(kids[1:])
                if op == "!":
                    return f"!$d.bool({rest})"
                if op == "-":
                    return f"(-{rest})"
                raise self.fail(node)
            return self.expr_seq(kids)
        if kind == "await_expression":
            return f"(await {self.expr_seq(kids[1:])})"
        if kind == "function_expression":
            plist = next(c for c in node.children if c.type == "formal_parameter_list")
            body = next(c for c in node.children if c.type == "function_expression_body")
            return self.function(plist, body)
        if kind == "assignment_expression":
            return self.assignment(kids)
        if kind == "conditional_expression":
            q = next(i for i, k in enumerate(kids) if k.type == "?")
            c = next(i for i, k in enumerate(kids) if k.type == ":" and i > q)
            cond, yes, no = kids[:q], kids[q + 1 : c], kids[c + 1 :]
            return f"($d.bool({self.expr_seq(cond)}) ? {self.expr_seq(yes)} : {self.expr_seq(no)})"
        if kind == "if_null_expression":
            left, _, right = self.binary(node, kids, {"??"})
            return f"({left} ?? {right})"
        if kind in ("logical_and_expression", "logical_or_expression"):
            ops = {"&&", "||", "logical_and_operator", "logical_or_operator"}
            left, op, right = self.binary(node, kids, ops)
            return f"($d.bool({left}) {op} $d.bool({right}))"
        if kind == "equality_expression":
            left, op, right = self.binary(node, kids, {"equality_operator", "==", "!="})
            eq = f"$d.eq({left}, {right})"
            return eq if op == "==" else f"!{eq}"
        if kind == "relational_expression":
            if kids[0].type == "relational_expression":
                return self.generic_call(node, kids)
            left, op, right = self.binary(node, kids, {"relational_operator"})
            return f"$d.op({json.dumps(op)}, {left}, {right})"
        if kind in ("additive_expression", "multiplicative_expression"):
            ops = {"additive_operator", "multiplicative_operator", "+", "-", "*", "/", "~/", "%"}
            left, op, right = self.binary(node, kids, ops)
            return f"$d.op({json.dumps(op)}, {left}, {right})"
        if kind == "type_test_expression":
            test = kids[-1]
            negated = any(_text(c) == "!" for c in test.children) or _text(test).startswith("is!")
            type_name = _text(test).removeprefix("is!").removeprefix("is").strip()
            check = f"$d.is({self.expr_seq(kids[:-1])}, {json.dumps(type_name)})"
            return f"!{check}" if negated else check
        if kind == "type_cast_expression":
            type_name = _text(kids[-1]).removeprefix("as").strip()
            return f"$d.as({self.expr_seq(kids[:-1])}, {json.dumps(type_name)})"
        if kind == "const_object_expression":
            type_node = next(c for c in kids if c.type == "type_identifier")
            if any(c.type == "." for c in kids):
                raise self.fail(node, "named const constructors")
            args = next(c for c in kids if c.type == "arguments")
            types, call_args = self.arguments(args)
            return f"$d.invoke({self.ref(_text(type_node))}, {types}, {call_args})"
        if kind == "throw_expression":
            return f"$d.throw_({self.expr_seq(kids[1:])})"
        if kind == "postfix_expression":
            target = self.assignable(kids[0])
            op = _text(kids[1])
            if op not in ("++", "--") or not target[1]:
                raise self.fail(node)
            return f"{target[0]}{op}"
        raise self.fail(node)

    def binary(
        self, node: tree_sitter.Node, kids: list[tree_sitter.Node], ops: set[str]
    ) -> tuple[str, str, str]:
        """(left, operator, right) split at the last operator (left-associative)."""
        at = [i for i, k in enumerate(kids) if k.type in ops and 0 < i < len(kids) - 1]
        if not at:
            raise self.fail(node)
        i = at[-1]
        return self.expr_seq(kids[:i]), _text(kids[i]), self.expr_seq(kids[i + 1 :])

    def parens(self, kids: list[tree_sitter.Node]) -> tuple[str, int]:
        """The condition between the first ( and its ), and the index after the )."""
        if kids[1].type == "parenthesized_expression":
            return self.expr(kids[1]), 2
        close = next(i for i, k in enumerate(kids) if k.type == ")")
        return self.expr_seq(kids[2:close]), close + 1

    def generic_call(self, node: tree_sitter.Node, kids: list[tree_sitter.Node]) -> str:
        """tree-sitter reads ``x.get<String>('a')`` as ``(x.get < String) > ('a')``; Dart
        has no such comparison chain, so it is the generic call."""
        inner = _kids(kids[0])
        ops = [i for i, k in enumerate(inner) if k.type == "relational_operator"]
        if (
            len(kids) < 3
            or any(k.type != "selector" for k in kids[3:])
            or _text(kids[1]) != ">"
            or kids[2].type != "parenthesized_expression"
            or len(ops) != 1
            or _text(inner[ops[0]]) != "<"
            or ops[0] != len(inner) - 2
            or inner[-1].type not in ("identifier", "type_identifier")
            or inner[0].type == "await"
        ):
            raise self.fail(node, "a comparison chain this translator cannot read")
        types = json.dumps([_text(inner[-1])])
        args = "[" + self.expr_seq(_kids(kids[2])[1:-1]) + "]"
        left = inner[: ops[0]]
        if len(left) == 1:
            called = f"$d.invoke({self.expr(left[0])}, {types}, {args})"
        else:
            called = self.chain(left[0], left[1:], trailing_call=(types, args))
        return self.apply(called, kids[3:])

    def assignable(self, node: tree_sitter.Node) -> tuple[str, bool]:
        """(JS target, plain local) of the left side of an assignment."""
        kids = _kids(node)
        if len(kids) == 1 and kids[0].type == "identifier":
            return self.ref(_text(kids[0])), True
        raise self.fail(node, "assignment to this target")

    def assignment(self, kids: list[tree_sitter.Node]) -> str:
        left, op, right = kids[0], _text(kids[1]), self.expr_seq(kids[2:])
        targets = _kids(left)
        if (
            len(targets) == 1
            and targets[0].type == "identifier"
            and self.ref(_text(targets[0])).startswith("$d.get(this")
        ):
            if op != "=":
                raise self.fail(left, "compound assignment to a member")
            return f"$d.set(this, {json.dumps(_text(targets[0]))}, {right})"
        if len(targets) == 1 and targets[0].type == "identifier":
            name = self.ref(_text(targets[0]))
            if op == "=":
                return f"({name} = {right})"
            if op == "??=":
                return f"({name} ??= {right})"
            if op in ("+=", "-=", "*="):
                return f"({name} = $d.op({json.dumps(op[0])}, {name}, {right}))"
            raise self.fail(left)
        if op != "=":
            raise self.fail(left, "compound assignment to a member")
        last = targets[-1]
        target = (
            self.chain(targets[0], targets[1:-1]) if len(targets) > 2 else self.expr(targets[0])
        )
        index = next((c for c in last.children if c.type == "index_selector"), None)
        if index is not None:
            return f"$d.setIndex({target}, {self.expr_seq(_kids(index)[1:-1])}, {right})"
        ident = next((c for c in last.children if c.type == "identifier"), None)
        if last.type != "unconditional_assignable_selector" or ident is None:
            raise self.fail(left)
        return f"$d.set({target}, {json.dumps(_text(ident))}, {right})"

    def string(self, node: tree_sitter.Node) -> str:
        raw = _text(node)
        opener = node.children[0].type if node.children else ""
        quotes = [c for c in node.children if c.type in (opener, opener.removeprefix("r"))]
        if len(quotes) != 2:
            raise self.fail(node, "adjacent string literals")
        if raw.startswith(("r'", 'r"')):
            body = raw[4:-3] if raw[1:4] in ("'''", '"""') else raw[2:-1]
            return json.dumps(body)
        quote = 3 if raw[:3] in ("'''", '"""') else 1
        if raw[:quote] != raw[-quote:] or node.children[-1].end_byte != node.end_byte:
            raise self.fail(node, "adjacent string literals")
        start = node.start_byte + quote
        end = node.end_byte - quote
        source = node.text or b""
        base = node.start_byte
        parts: list[str] = []
        pos = start
        for sub in node.children:
            if sub.type != "template_substitution":
                continue
            parts.append(_js_literal(source[pos - base : sub.start_byte - base].decode()))
            parts.append("${$d.str(" + self.substitution(sub) + ")}")
            pos = sub.end_byte
        parts.append(_js_literal(source[pos - base : end - base].decode()))
        if pos < start:
            raise self.fail(node)
        return "`" + "".join(parts) + "`"

    def substitution(self, sub: tree_sitter.Node) -> str:
        kids = [c for c in _kids(sub) if c.type not in ("$", "{", "}")]
        text = _text(sub)
        if not text.startswith("${"):
            if len(kids) == 1 and kids[0].type == "identifier_dollar_escaped":
                return self.ref(_text(kids[0]))
            return self.expr_seq(kids)
        # a `${…}` is re-read on its own: the grammar misreads some generic calls inside
        # a template; the re-read expression keeps this sample's line numbers
        inner = text[2:-1]
        wrapper = "void __f() { final __v = " + inner + "; }"
        tree = dart_api.parser().parse(wrapper.encode())
        if tree.root_node.has_error:
            raise self.fail(sub, "an interpolation that does not parse")
        decl = _find(tree.root_node, "initialized_variable_definition")
        if decl is None:
            raise self.fail(sub)
        offset = self.line(sub) - self.first_line + (1 if self.wrapped else 0)
        saved = self.first_line
        self.first_line = saved + offset
        try:
            return self.expr_seq(_kids(decl)[3:])
        finally:
            self.first_line = saved

    def list_literal(self, kids: list[tree_sitter.Node]) -> str:
        items: list[str] = []
        for group in _groups(kids, ("[", "]", "type_arguments", "const_builtin")):
            items.append(self.element(group[0]) if len(group) == 1 else self.expr_seq(group))
        return "$d.list([" + ", ".join(items) + "])"

    def element(self, node: tree_sitter.Node) -> str:
        """A collection element (JS spread syntax carries if/for/spread)."""
        kids = _kids(node)
        if node.type == "spread_element":
            value = self.expr_seq(kids[1:])
            return (
                f"...$d.iter({value})" if _text(kids[0]) == "..." else f"...$d.iter({value} ?? [])"
            )
        if node.type == "if_element":
            cond, i = self.parens(kids)
            rest = kids[i:]
            split = next((j for j, k in enumerate(rest) if k.type == "else"), len(rest))
            yes = self._element_seq(rest[:split])
            no = self._element_seq(rest[split + 1 :]) if split < len(rest) else None
            return f"...($d.bool({cond}) ? [{yes}] : [{no if no else ''}])"
        if node.type == "for_element":
            parts = [p for p in _kids(kids[1]) if p.type not in ("(", ")")]
            if not any(p.type == "in" for p in parts):
                raise self.fail(node)
            name = [p for p in parts if p.type == "identifier"][0]
            source = self.expr_seq(parts[[p.type for p in parts].index("in") + 1 :])
            self.scopes.append(set())
            try:
                var = self.declare(_text(name))
                body = self._element_seq(kids[2:])
            finally:
                self.scopes.pop()
            return f"...Array.from($d.iter({source}), ({var}) => [{body}]).flat(1)"
        if node.type == "pair":
            raise self.fail(node)
        return self.expr(node)

    def _element_seq(self, nodes: list[tree_sitter.Node]) -> str:
        return self.element(nodes[0]) if len(nodes) == 1 else self.expr_seq(nodes)

    def map_literal(self, node: tree_sitter.Node, kids: list[tree_sitter.Node]) -> str:
        entries: list[str] = []
        for kid in kids:
            if kid.type in ("{", "}", ",", "type_arguments", "const_builtin"):
                continue
            if kid.type != "pair":
                raise self.fail(kid, "set literals and collection if/for in maps")
            pair = _kids(kid)
            colon = next(i for i, k in enumerate(pair) if k.type == ":")
            key, value = self.expr_seq(pair[:colon]), self.expr_seq(pair[colon + 1 :])
            entries.append(f"[{key}, {value}]")
        return "$d.map([" + ", ".join(entries) + "])"


def _find(node: tree_sitter.Node, kind: str) -> tree_sitter.Node | None:
    if node.type == kind:
        return node
    for child in node.children:
        found = _find(child, kind)
        if found is not None:
            return found
    return None


def _groups(kids: list[tree_sitter.Node], skip: tuple[str, ...]) -> list[list[tree_sitter.Node]]:
    """Sibling nodes split at commas (an element may be several flattened nodes)."""
    groups: list[list[tree_sitter.Node]] = [[]]
    for kid in kids:
        if kid.type in skip:
            continue
        if kid.type == ",":
            groups.append([])
        else:
            groups[-1].append(kid)
    return [g for g in groups if g]


def _split_types(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "<"
        depth -= ch == ">"
        cur += ch
    return [*out, cur]


def _js_literal(dart: str) -> str:
    """Dart string content (escapes included) as JS template-literal content."""
    out = []
    i = 0
    while i < len(dart):
        ch = dart[i]
        if ch == "\\" and i + 1 < len(dart):
            nxt = dart[i + 1]
            if nxt == "$":
                out.append("$")
            elif nxt in "nrtbfv\\'\"ux":
                out.append("\\" + nxt)
            else:
                out.append(nxt)  # Dart: an unknown escape is the character itself
            i += 2
            continue
        if ch == "`":
            out.append("\\`")
        elif ch == "$" and dart[i + 1 : i + 2] == "{":
            out.append("\\$")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class Source:
    where: str  # docs/page.md:LINE of the opening fence
    code: str
    driver: str = ""  # Dart statements run right after the block (the test's calls)


def translate_page(
    sources: list[Source], prelude: str = "", libraries: tuple[str, ...] = ()
) -> tuple[str, list[list[str]]]:
    """One ES module (the stand-in's import, ``prelude``, then each block and its driver
    in order) and the top-level functions each block declares. ``libraries`` are
    imported for the drivers (a test library such as flutter_test)."""
    page = Page()
    for library in libraries:
        page.imports[library] = None
    units = []
    for source in sources:
        fence = int(source.where.rsplit(":", 1)[1])
        unit = Translator(page, source.where, source.code, fence + 1)
        if unit.tree.root_node.has_error:
            bad = dart_api._first_error(unit.tree.root_node)
            raise unit.fail(bad, "does not parse as Dart")
        page.top.update(unit.declared_names())
        units.append(unit)
    body: list[str] = []
    for source, unit in zip(sources, units, strict=True):
        js, functions = unit.program()
        page.functions.append(functions)
        body.append(f"// {source.where}\n$d.block({json.dumps(source.where)});\n{js}")
        if source.driver:
            driver = Translator(page, source.where + " (driver)", "", 1)
            driver.tree = dart_api.parser().parse(
                ("Future<void> main() async {\n" + source.driver + "\n}\n").encode()
            )
            if driver.tree.root_node.has_error:
                raise DartError(f"{source.where}: the driver does not parse as Dart")
            driver.wrapped = True
            block = _find(driver.tree.root_node, "block")
            assert block is not None
            body.append("{\n" + driver.scoped(driver.block_body, block) + "\n}")
    program = "\n".join(
        [
            'import { $d } from "./dart_sdk_shim.mjs";',
            prelude,
            page.header(),
            *body,
            "await $d.done();",
            "",
        ]
    )
    return program, page.functions
