"""schema.graphql at the repository root is the schema's exported SDL, kept current."""

from __future__ import annotations

from pathlib import Path

from schema.export import main, sdl
from tests.schema.harness import REPO


def test_the_committed_sdl_is_current() -> None:
    committed = (REPO / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "schema.graphql is out of date: run `make schema`"


def test_export_writes_the_sdl_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "out.graphql"
    assert main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == sdl()
    assert "type Account implements Node" in sdl()
