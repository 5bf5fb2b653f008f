"""The layer rules of ARCHITECTURE.md: contracts imports nothing of ours; mock_server and client never
import each other (both may import contracts); no package imports the tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"contracts", "mock_server", "client", "tests", "bench"}
ALLOWED = {
    "contracts": {"contracts"},
    "mock_server": {"mock_server", "contracts"},
    "client": {"client", "contracts"},
}


def imports(path: Path) -> list[str]:
    """Top-level names of every absolute import in ``path`` (function-level imports included)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_allows(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no files found for {package}"
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imports(path)
        if name in OURS and name not in ALLOWED[package]
    ]
    assert crossings == []


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from mock_server.app import create_app\nimport client.cli\n\ndef f():\n    import tests\n")
    assert imports(bad) == ["mock_server", "client", "tests"]
