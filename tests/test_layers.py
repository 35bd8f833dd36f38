"""The structure stays a layering (pyproject.toml's import-linter contracts, run by
`make lint`). One rule import-linter cannot see, because it follows modules and
not names, is checked here: no module imports another folder's private names."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "ombud"


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else module  # ombud.cases.x -> cases; ombud.x -> ombud.x


def test_no_module_imports_a_private_name_from_another_folder():
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        name = ".".join(("ombud", *path.relative_to(SRC).with_suffix("").parts))
        name = name.removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                continue
            if not node.module.startswith("ombud.") or _folder(node.module) == _folder(name):
                continue
            for alias in node.names:
                if alias.name.startswith("_") or any(
                    part.startswith("_") and part != "__init__" for part in node.module.split(".")
                ):
                    wrong.append(f"{name} imports {alias.name} from {node.module}")
    assert wrong == []
