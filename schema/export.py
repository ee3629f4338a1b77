"""Writes the schema's SDL: ``python -m schema.export [path]`` (default ``schema.graphql``)."""

from __future__ import annotations

import sys
from pathlib import Path

from schema.root import build_schema

DEFAULT_PATH = Path("schema.graphql")


def sdl() -> str:
    return build_schema().as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    path = Path(arguments[0]) if arguments else DEFAULT_PATH
    path.write_text(sdl(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
