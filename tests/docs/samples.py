"""The fenced code blocks of docs/*.md, and the one script a page's samples become.

A page is a script: its JavaScript blocks run in document order as one ES module
under Node (with the real ``pocketbase`` npm SDK), so a later block sees what an
earlier one declared. Shell blocks run with bash and Python blocks with the project's
interpreter, each where it stands in that order (the module calls them). Dart blocks
are checked, not run (``dart_api.py`` says how). TypeScript blocks are type-checked
with ``tsc`` against the SDK's own types, then run (transpiled) in their own block
scope: each page's TypeScript is self-contained. The docs write the server as
``http://127.0.0.1:8090``; the test puts its own live server's address there.

Shell blocks run in a working directory laid out like a checkout (``.venv``, and
``baas_data``: the live server's data directory); what a shell block ``export``s is
set for the later shell blocks, as in one terminal. A block whose first line is a
comment naming a relative path (``# baas_data/hooks/posts.py``, ``# receiver.py``) is
that file: it is written there before the server starts (so a hooks file is loaded
from the start) and not run itself; later samples use it. A receiver of the server's
outbound calls (webhooks) listens on port 8000 of 127.0.0.1 (written ``127.0.0.1:8000``,
``("127.0.0.1", 8000)`` or ``8000, "127.0.0.1"``); the test puts a free port there.

A ``graphql`` block is sent to the server's ``/api/graphql`` as a POST's ``query``,
with the ``Authorization`` of the page's ``pb`` client when an earlier block declared
one (else as a guest); its response is printed. A ``json`` block titled ``Response``
(````json title="Response"````) right after a ``graphql`` or shell block shows that
block's output: the real output, parsed as JSON, must equal it (same keys, same
lengths, same values), where a value written ``"…"`` stands for any value (an id, a
date). A ``graphql`` block without one must answer 200 with no ``errors``.

A shell block whose last command is ``baas serve …`` starts the page's own server: it
runs in the background with ``--http`` set to the address the page's samples use, the
page goes on once ``/api/health`` answers, and a later such block replaces it (as
Ctrl-C and the next command would). The test starts no server for such a page. The
docs write a PostgreSQL database as ``postgresql://baas:PASSWORD@127.0.0.1:5432/baas``;
the test puts a fresh database of its own there.

A block whose fence names a file of the repository (````ini title="deploy/…"````) is
an excerpt of it: its lines must appear in that file, together and in order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
DOCS_URL = "http://127.0.0.1:8090"
DOCS_WS_URL = "ws://127.0.0.1:8090"
DOCS_DATABASE_URL = "postgresql://baas:PASSWORD@127.0.0.1:5432/baas"
RECEIVER = re.compile(r'127\.0\.0\.1(?::|", )8000\b|\b8000, "127\.0\.0\.1"')

RUN = {
    "js": "js",
    "javascript": "js",
    "ts": "ts",
    "typescript": "ts",
    "sh": "sh",
    "bash": "sh",
    "python": "python",
    "py": "python",
    "html": "html",  # a web page: the test opens it in Chromium and uses it (test_docs.py)
    "graphql": "graphql",  # sent to /api/graphql
}
CHECK = {"dart": "dart"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')
_SERVE = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:\S*/)?baas serve(?:\s[^#]*)?$")
_IMPORT = re.compile(r"^import\s[^;]+?\sfrom\s+['\"][^'\"]+['\"];?[ \t]*$", re.M)
_FILE = re.compile(r"^(?:#|//) (?P<path>(?:[\w-][\w.-]*/)*[\w-][\w.-]*\.\w+)$")


@dataclass(frozen=True)
class Block:
    page: str  # file name inside docs/
    line: int  # 1-based line of the opening fence
    lang: str  # the info string's first word, lower-cased ("" when none)
    code: str
    info: str = ""  # the whole info string (e.g. ``ini title="deploy/…"``)

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"

    @property
    def first_line(self) -> str:
        return next((ln.strip() for ln in self.code.splitlines() if ln.strip()), "")

    @property
    def file(self) -> str:
        """The relative path this block is the content of ("" for a sample to run)."""
        found = _FILE.match(self.code.split("\n", 1)[0].strip()) if self.kind else None
        return found["path"] if found else ""

    @property
    def title(self) -> str:
        found = _TITLE.search(self.info)
        return found["title"] if found else ""

    @property
    def excerpt_of(self) -> str:
        """The repository file this block is an excerpt of ("" for none)."""
        return self.title if self.title and (REPO / self.title).is_file() else ""

    @property
    def kind(self) -> str:
        """``js``/``sh``/``python``/``graphql`` (run), ``output`` (the output of the block
        before it), ``dart`` (checked), ``excerpt`` (compared with the repository file its
        title names) or ``""`` (neither)."""
        if self.excerpt_of:
            return "excerpt"
        if self.lang == "json" and self.title == "Response":
            return "output"
        return RUN.get(self.lang) or CHECK.get(self.lang) or ""


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        lang = (match["info"].strip().split() or [""])[0].lstrip(".").lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = lines[j].strip()
            if closing.startswith(fence[0] * len(fence)) and set(closing) == {fence[0]}:
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        found.append(Block(path.name, i + 1, lang, "\n".join(body) + "\n", match["info"].strip()))
        i = j + 1
    return found


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def for_server(code: str, url: str, receiver_port: int | None = None, database: str = "") -> str:
    code = code.replace(DOCS_URL, url).replace(DOCS_WS_URL, "ws" + url.removeprefix("http"))
    if database:
        code = code.replace(DOCS_DATABASE_URL, database)
    if receiver_port is not None:
        code = RECEIVER.sub(lambda m: m[0].replace("8000", str(receiver_port)), code)
    return code


def write_files(page_blocks: list[Block], workdir: Path, receiver_port: int | None = None) -> None:
    """The page's file blocks, written under the shell samples' working directory before
    the server starts (so a file cannot name the server's address: not known yet)."""
    for block in page_blocks:
        if block.file:
            assert DOCS_URL not in block.code, f"{block.where}: a file cannot name the server"
            target = workdir / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(for_server(block.code, DOCS_URL, receiver_port))


PRELUDE = """
import { execFileSync as __execFileSync } from "node:child_process";
import { readdirSync as __readdirSync, readFileSync as __readFileSync } from "node:fs";

globalThis.__where = "";
process.on("unhandledRejection", (err) => {
  console.error(`FAILED in the sample at ${globalThis.__where}:`);
  console.error(err?.response ? JSON.stringify(err.response) : "", err);
  process.exit(1);
});

function __run(command, args, where, shown) {
  globalThis.__where = where;
  const options = { cwd: process.env.DOCS_WORKDIR, env: process.env };
  if (shown === undefined) return __execFileSync(command, args, { stdio: "inherit", ...options });
  const out = __execFileSync(command, args, { stdio: ["inherit", "pipe", "inherit"], encoding: "utf8", ...options });
  process.stdout.write(out);
  __compare(shown, JSON.parse(out), where);
}

// What a person would type: the code (or link token) from the next unread mail to
// `email`, which the test's SMTP sink wrote to DOCS_MAILDIR.
const __read = new Set();
globalThis.askUser = async (question, email) => {
  const dir = process.env.DOCS_MAILDIR;
  for (let i = 0; i < 1200; i++) { // up to a minute: a busy worker may be slow to send
    for (const name of __readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
      if (__read.has(name)) continue;
      const mail = JSON.parse(__readFileSync(`${dir}/${name}`, "utf8"));
      if (email && !mail.to.includes(email)) continue;
      __read.add(name);
      const found = mail.html.match(/<strong>(\\d+)<\\/strong>/) || mail.html.match(/\\/confirm-[a-z-]+\\/([A-Za-z0-9_.-]+)/);
      if (found) return found[1];
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail for ${email} answering "${question}"`);
};
"""


# Sourced before each shell block, and written after it: what it exported carries over.
SHELL_ENV = '"$DOCS_WORKDIR/.docs-shell-env"'


def page_script(
    page_blocks: list[Block],
    url: str,
    python: str,
    transpiled: dict[Block, str] | None = None,
    receiver_port: int | None = None,
    database: str = "",
) -> str:
    """One ES module that runs the page's runnable blocks in document order."""
    imports = Imports()
    body: list[str] = []
    for index, block in enumerate(page_blocks):
        if block.file:
            continue  # written before the server started (write_files)
        code = for_server(block.code, url, receiver_port, database)
        where = json.dumps(block.where)
        shown = shown_output(page_blocks, index)
        if block.kind in ("js", "ts"):
            if block.kind == "ts":
                code = for_server((transpiled or {})[block], url, receiver_port)
            code = imports.take(code)
            if block.kind == "ts":
                code = "{\n" + code + "\n}"
            body.append(f"// {block.where}\nglobalThis.__where = {where};\n{code}")
        elif block.kind == "sh" and serve_command(block.code):
            code = f"[ ! -f {SHELL_ENV} ] || . {SHELL_ENV}\n{serving(code)}"
            body.append(f"// {block.where}\nawait __serve({json.dumps(code)}, {where});")
        elif block.kind == "sh":
            code = f"[ ! -f {SHELL_ENV} ] || . {SHELL_ENV}\n{code}\nexport -p > {SHELL_ENV}\n"
            args = json.dumps(["-euo", "pipefail", "-c", code])
            body.append(f"// {block.where}\n__run('bash', {args}, {where}, {shown});")
        elif block.kind == "graphql":
            auth = 'typeof pb === "undefined" ? "" : pb.authStore.token'
            call = f"await __graphql({json.dumps(code)}, {auth}, {where}, {shown});"
            body.append(f"// {block.where}\n{call}")
        elif block.kind == "output" and not (
            index and page_blocks[index - 1].kind in ("sh", "graphql")
        ):
            raise ValueError(
                f"{block.where}: a Response block shows the output of the shell or graphql "
                "block right before it, and this one follows none"
            )
        elif block.kind == "python":
            args = json.dumps(["-c", code])
            body.append(f"// {block.where}\n__run({json.dumps(python)}, {args}, {where});")
    end = ["await __stopServer();", 'console.log("all samples ran");', ""]
    return "\n".join([*imports.lines(), PRELUDE, CHECKS, *body, *end])


def shown_output(page_blocks: list[Block], index: int) -> str:
    """The JSON the next block shows as this one's output, as JS (``undefined``: none)."""
    after = page_blocks[index + 1] if index + 1 < len(page_blocks) else None
    if after is None or after.kind != "output" or page_blocks[index].kind not in ("sh", "graphql"):
        return "undefined"
    return json.dumps(json.loads(after.code))


def serve_command(code: str) -> bool:
    """Whether a shell block's last command is ``baas serve …`` (the page's own server)."""
    lines = [
        ln.strip() for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    return bool(lines) and _SERVE.match(lines[-1]) is not None


def serving(code: str) -> str:
    """The block with its ``baas serve`` run in place of the shell, on the page's address."""
    lines = code.rstrip("\n").split("\n")
    last = max(i for i, ln in enumerate(lines) if ln.strip() and not ln.strip().startswith("#"))
    lines[last] = f'exec {lines[last].strip()} --http "$DOCS_HTTP"'
    return "set -euo pipefail\n" + "\n".join(lines) + "\n"


# The helpers of graphql blocks, shown outputs and the page's own server.
CHECKS = """
import { spawn as __spawn } from "node:child_process";
import { openSync as __openSync } from "node:fs";

function __differences(shown, real, path) {
  if (shown === "…") return [];
  const differ = [`${path}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(real)}`];
  if (Array.isArray(shown)) {
    if (!Array.isArray(real) || real.length !== shown.length) return differ;
    return shown.flatMap((value, i) => __differences(value, real[i], `${path}[${i}]`));
  }
  if (shown !== null && typeof shown === "object") {
    if (real === null || typeof real !== "object" || Array.isArray(real)) return differ;
    const keys = [...new Set([...Object.keys(shown), ...Object.keys(real)])];
    return keys.flatMap((key) =>
      !(key in real) ? [`${path}.${key}: shown but missing`]
      : !(key in shown) ? [`${path}.${key}: not shown (${JSON.stringify(real[key])})`]
      : __differences(shown[key], real[key], `${path}.${key}`));
  }
  return shown === real ? [] : differ;
}

function __compare(shown, real, where) {
  const found = __differences(shown, real, "$");
  if (found.length) throw new Error(`${where}: the output differs from the one shown:\\n${found.join("\\n")}`);
}

async function __graphql(query, token, where, shown) {
  globalThis.__where = where;
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = token;
  const answer = await fetch(`${process.env.DOCS_URL}/api/graphql`, {
    method: "POST", headers, body: JSON.stringify({ query }),
  });
  const body = await answer.json();
  console.log(JSON.stringify(body));
  if (shown !== undefined) return __compare(shown, body, where);
  if (answer.status !== 200 || body.errors) throw new Error(`${where}: ${answer.status} ${JSON.stringify(body)}`);
}

let __server = null;
let __servers = 0;

async function __stopServer() {
  const server = __server;
  __server = null;
  if (server === null || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
}

async function __serve(script, where) {
  globalThis.__where = where;
  await __stopServer(); // a later `baas serve` replaces the one before, as Ctrl-C would
  const log = `${process.env.DOCS_WORKDIR}/serve-${++__servers}.log`;
  const out = __openSync(log, "w");
  const env = { ...process.env, DOCS_HTTP: process.env.DOCS_URL.replace("http://", "") };
  const server = __spawn("bash", ["-c", script], { cwd: process.env.DOCS_WORKDIR, env, stdio: ["ignore", out, out] });
  __server = server;
  process.on("exit", () => server.kill("SIGKILL"));
  for (let i = 0; i < 3600; i++) { // up to 3 minutes: what runs before it may be an import
    if (server.exitCode !== null) throw new Error(`${where}: exited ${server.exitCode}:\\n${__readFileSync(log, "utf8")}`);
    try {
      if ((await fetch(`${process.env.DOCS_URL}/api/health`)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${where}: no answer at ${process.env.DOCS_URL}/api/health`);
}
"""


_IMPORT_PARTS = re.compile(
    r"^import\s+(?:(?P<default>[\w$]+)\s*,?\s*)?(?:\{(?P<named>[^}]*)\})?\s*from\s+['\"](?P<module>[^'\"]+)['\"];?\s*$"
)


class Imports:
    """The imports of all a page's blocks, merged per module (a module is one script)."""

    def __init__(self) -> None:
        self.default: dict[str, str] = {}
        self.named: dict[str, list[str]] = {}
        self.other: list[str] = []

    def take(self, code: str) -> str:
        for statement in _IMPORT.findall(code):
            self.add(statement.strip())
        return _IMPORT.sub("", code)

    def add(self, statement: str) -> None:
        match = _IMPORT_PARTS.match(statement)
        if match is None:  # import * as x, side-effect imports: kept as written
            if statement not in self.other:
                self.other.append(statement)
            return
        module = match["module"]
        names = self.named.setdefault(module, [])
        if match["default"]:
            known = self.default.setdefault(module, match["default"])
            assert known == match["default"], f"two default names for {module}"
        for name in (n.strip() for n in (match["named"] or "").split(",")):
            if name and name not in names:
                names.append(name)

    def lines(self) -> list[str]:
        out = list(self.other)
        for module, names in self.named.items():
            parts = [self.default[module]] if module in self.default else []
            if names:
                parts.append("{ " + ", ".join(names) + " }")
            out.append(f"import {', '.join(parts)} from {json.dumps(module)};")
        return out
