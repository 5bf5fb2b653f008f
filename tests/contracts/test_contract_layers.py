"""contracts/ imports nothing of ours: the mock server and the client may import it, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import contracts

FORBIDDEN = ("client", "mock_server", "tests")
PACKAGE = Path(contracts.__file__).resolve().parent


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def test_contracts_import_neither_client_nor_mock_server() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 4
    for path in files:
        for name in _imports(path):
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from mock_server.app import create_app\nimport client\n", "utf-8")
    assert [n.split(".")[0] for n in _imports(bad)] == ["mock_server", "client"]
