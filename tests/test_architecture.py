"""The layer rules of ARCHITECTURE.md: contracts imports nothing of ours; mock_server and client never
import each other (both may import contracts); no package imports the tests."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"contracts", "mock_server", "client", "tests", "bench"}
ALLOWED = {
    "contracts": {"contracts"},
    "mock_server": {"mock_server", "contracts"},
    "client": {"client", "contracts"},
}


@cache
def _parsed(path: Path, version: tuple[int, int]) -> tuple[ast.Module, tuple[ast.AST, ...]]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    return tree, tuple(ast.walk(tree))


def parsed(path: Path) -> tuple[ast.Module, tuple[ast.AST, ...]]:
    """``path``'s syntax tree and every node of it, parsed once per version of the file (each check below
    walks the whole code base: parsing it once for all of them is most of their cost)."""
    stat = path.stat()
    return _parsed(path, (stat.st_mtime_ns, stat.st_size))


def nodes(path: Path) -> tuple[ast.AST, ...]:
    return parsed(path)[1]


def imports(path: Path) -> list[str]:
    """Top-level names of every absolute import in ``path`` (function-level imports included)."""
    found: list[str] = []
    for node in nodes(path):
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


# ---------------------------------------------------------------------------------------------- one source per fact
# Each fact below is typed once (contracts/); everything else derives it. The checks read string and
# collection literals in code (docstrings and comments may name a path: they are documentation).
PACKAGES = ("contracts", "mock_server", "client")
#: Status words of either family (the contracts' enums).
STATUS_WORDS = {
    "queued", "running", "succeeded", "failed", "expired", "cancelled", "created", "processing", "completed"
}  # fmt: skip
#: A string that is (or holds) an API path: ``/api/v3/`` and more, no whitespace (prose may name paths).
API_PATH = re.compile(r"\S*/api/v3/\S*")
#: The fields a text command types (integers, booleans): contracts/commands.py states them.
TYPED_FIELDS = ({"duration", "framespersecond", "seed", "frames"}, {"watermark", "camerafixed"})


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _package_files(packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (of the module, a class or a function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def code_strings(path: Path) -> list[str]:
    """Every string literal in ``path`` that is code, not a docstring (f-string parts included)."""
    tree, walked = parsed(path)
    docs = _docstrings(tree)
    return [
        node.value
        for node in walked
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def _literal_strings(node: ast.AST) -> list[str]:
    """The string elements of a tuple/list/set literal, or the string keys of a dict literal."""
    items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", [])
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def collections_of(path: Path, words: set[str], at_least: int) -> list[str]:
    """Collection literals in ``path`` holding ``at_least`` distinct ``words`` (as items or dict keys)."""
    found = []
    for node in nodes(path):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            held = set(_literal_strings(node)) & words
            if len(held) >= at_least:
                found.append(f"{_shown(path)}:{node.lineno} {sorted(held)}")
    return found


def test_the_tasks_path_is_typed_once_outside_the_client() -> None:
    hits = [
        f"{path.relative_to(ROOT)}: {text!r}"
        for path in _package_files()
        for text in code_strings(path)
        if "contents/generations/tasks" in text
    ]
    assert len(hits) <= 2, hits  # the endpoint table, and the client's own copy until branch client drops it
    assert [h for h in hits if not h.startswith("client/")] == ["contracts/endpoints.py: '/contents/generations/tasks'"]


def test_no_api_path_is_typed_outside_the_endpoint_table() -> None:
    hits = [
        f"{path.relative_to(ROOT)}: {text!r}"
        for path in _package_files(("contracts", "mock_server"))
        if path.name != "endpoints.py"
        for text in code_strings(path)
        if API_PATH.fullmatch(text) or text.startswith(("/bytedance", "/predictions", "/webhook", "/contents"))
    ]
    assert hits == []


def test_fps_is_assigned_once_in_contracts() -> None:
    assignments = [
        str(path.relative_to(ROOT))
        for path in _package_files()
        for node in nodes(path)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FPS" for t in node.targets)
    ]
    assert assignments == ["contracts/_capabilities.py"]


def test_status_vocabularies_are_written_once() -> None:
    # Any literal holding three status words is a vocabulary (or a map of one): only the endpoint table
    # may write one; everything else derives from it and the contracts' enums.
    hits = [
        hit
        for path in _package_files(("contracts", "mock_server", "client"))
        for hit in collections_of(path, STATUS_WORDS, 3)
    ]
    assert [h for h in hits if not h.startswith("contracts/endpoints.py:")] == []
    assert len(hits) == 1, hits  # PREDICTION_STATUS
    harness = sorted((ROOT / "tests" / "harness").glob("*.py"))
    copies = [hit for path in harness for hit in collections_of(path, STATUS_WORDS, 3)]
    assert all("test_lifecycle_machine.py" in h for h in copies), copies  # its rule-based model's own draws


def test_the_operation_map_is_written_once() -> None:
    # op -> request contract: a dict literal whose values are predictions request contracts.
    hits = []
    for path in [*_package_files(), *sorted((ROOT / "tests" / "harness").glob("*.py"))]:
        for node in nodes(path):
            if isinstance(node, ast.Dict):
                values = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
                if sum(v.startswith("predictions.") and v.endswith(".request") for v in values) >= 2:
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert len(hits) == 1 and hits[0].startswith("contracts/endpoints.py:"), hits


def test_the_text_command_grammar_is_written_once() -> None:
    # The command pattern and the typed-field sets live in contracts/commands.py; the mock, the client
    # and the test oracle call read_commands().
    files = [*_package_files(), *sorted((ROOT / "tests" / "harness").glob("*.py"))]
    patterns = [f"{path.relative_to(ROOT)}: {text!r}" for path in files for text in code_strings(path) if "--(" in text]
    assert patterns == ["contracts/commands.py: '(?:^|\\\\s)--([A-Za-z]+)\\\\s+(\\\\S+)'"]
    typed = [
        f"{_shown(path)}:{node.lineno}"
        for path in files
        for node in nodes(path)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and set(_literal_strings(node)) in TYPED_FIELDS
    ]
    assert [h.split(":")[0] for h in typed] == ["contracts/commands.py"] * 2, typed


def test_the_source_checks_see_a_copy(tmp_path: Path) -> None:
    copy = tmp_path / "copy.py"
    copy.write_text(
        '"""GET /api/v3/contents/generations/tasks"""\n'
        'PATH = "/api/v3/contents/generations/tasks"\n'
        'WORDS = ("queued", "running", "succeeded")\n'
    )
    assert code_strings(copy) == ["/api/v3/contents/generations/tasks", "queued", "running", "succeeded"]
    assert len(collections_of(copy, STATUS_WORDS, 3)) == 1
