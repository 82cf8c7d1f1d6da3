"""Checks of the docs that need no server: file excerpts, the deployment page's blocks
that make test-deploy runs, and the samples.py mechanisms the pages rely on."""

from __future__ import annotations

import pytest

from tests.deploy import documented
from tests.docs.samples import DOCS, REPO, Block, blocks, page_script, serve_command, serving
from tests.docs.test_docs import ALL_BLOCKS, SHOWN


def test_deployment_excerpts_are_the_files_in_deploy() -> None:
    """A block titled with a repository path shows lines of that file, together, in order."""
    excerpts = [b for b in ALL_BLOCKS if b.kind == "excerpt"]
    assert {b.page for b in excerpts} >= {"deployment.md"}
    for block in excerpts:
        shown = [line.rstrip() for line in block.code.strip("\n").splitlines()]
        lines = [line.rstrip() for line in (REPO / block.excerpt_of).read_text().splitlines()]
        starts = [i for i in range(len(lines)) if lines[i : i + len(shown)] == shown]
        assert starts, f"{block.where} is not an excerpt of {block.excerpt_of} any more"


def test_deployment_blocks_said_to_run_in_test_deploy_are_the_ones_it_runs() -> None:
    said = {
        first
        for (page, first), reason in SHOWN.items()
        if page == "deployment.md" and "tests/deploy/documented.py" in reason
    }
    ran = {documented.block(first_line).first_line for first_line in documented.RUN}
    assert said == ran


def test_deployment_soak_command_names_the_soak_test() -> None:
    [block] = [b for b in blocks(DOCS / "deployment.md") if "BAAS_SOAK_SECONDS" in b.code]
    path = block.code.split()[-1]
    assert path == "tests/reliability/test_soak.py"
    assert "BAAS_SOAK_SECONDS" in (REPO / path).read_text()


def block(lang: str, code: str, info: str = "") -> Block:
    return Block("sample.md", 1, lang, code, info or lang)


def test_parse_serve_blocks_and_response_blocks() -> None:
    assert serve_command("baas import-pocketbase ./pb_data --dir ./baas_data\nbaas serve --dir x\n")
    assert serve_command("export X=1\nDATABASE_URL=postgresql://h/db baas serve\n")
    assert not serve_command("baas serve --dir x\nbaas export ./out\n")  # not its last command
    assert not serve_command("curl -s http://127.0.0.1:8090/api/health\n")
    assert serving("baas migrate\nbaas serve --dir x\n").endswith(
        'baas migrate\nexec baas serve --dir x --http "$DOCS_HTTP"\n'
    )

    response = block("json", '{"data": {"a": "…"}}\n', 'json title="Response"')
    assert response.kind == "output"
    assert block("json", "{}\n").kind == ""  # an untitled JSON block is not an output
    query = block("graphql", "{ a }\n")
    script = page_script([query, response], "http://127.0.0.1:1", "python")
    assert '__graphql("{ a }\\n", ' in script and '{"data": {"a": "\\u2026"}}' in script
    with pytest.raises(ValueError, match="follows none"):
        page_script([block("js", "1;\n"), response], "http://127.0.0.1:1", "python")
