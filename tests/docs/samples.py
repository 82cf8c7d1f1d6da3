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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
DOCS_URL = "http://127.0.0.1:8090"
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
}
CHECK = {"dart": "dart"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_IMPORT = re.compile(r"^import\s[^;]+?\sfrom\s+['\"][^'\"]+['\"];?[ \t]*$", re.M)
_FILE = re.compile(r"^(?:#|//) (?P<path>(?:[\w-][\w.-]*/)*[\w-][\w.-]*\.\w+)$")


@dataclass(frozen=True)
class Block:
    page: str  # file name inside docs/
    line: int  # 1-based line of the opening fence
    lang: str  # the info string's first word, lower-cased ("" when none)
    code: str

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
    def kind(self) -> str:
        """``js``/``sh``/``python`` (run), ``dart`` (checked) or ``""`` (neither)."""
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
        found.append(Block(path.name, i + 1, lang, "\n".join(body) + "\n"))
        i = j + 1
    return found


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def for_server(code: str, url: str, receiver_port: int | None = None) -> str:
    code = code.replace(DOCS_URL, url)
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

function __run(command, args, where) {
  globalThis.__where = where;
  __execFileSync(command, args, { stdio: "inherit", cwd: process.env.DOCS_WORKDIR, env: process.env });
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
) -> str:
    """One ES module that runs the page's runnable blocks in document order."""
    imports = Imports()
    body: list[str] = []
    for block in page_blocks:
        if block.file:
            continue  # written before the server started (write_files)
        code = for_server(block.code, url, receiver_port)
        where = json.dumps(block.where)
        if block.kind in ("js", "ts"):
            if block.kind == "ts":
                code = for_server((transpiled or {})[block], url, receiver_port)
            code = imports.take(code)
            if block.kind == "ts":
                code = "{\n" + code + "\n}"
            body.append(f"// {block.where}\nglobalThis.__where = {where};\n{code}")
        elif block.kind == "sh":
            code = f"[ ! -f {SHELL_ENV} ] || . {SHELL_ENV}\n{code}\nexport -p > {SHELL_ENV}\n"
            args = json.dumps(["-euo", "pipefail", "-c", code])
            body.append(f"// {block.where}\n__run('bash', {args}, {where});")
        elif block.kind == "python":
            args = json.dumps(["-c", code])
            body.append(f"// {block.where}\n__run({json.dumps(python)}, {args}, {where});")
    return "\n".join([*imports.lines(), PRELUDE, *body, 'console.log("all samples ran");', ""])


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
