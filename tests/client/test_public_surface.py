"""The client's public surface: exactly ``__all__``, twin signatures, and no import of the mock server."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import client
from client import AsyncSeedanceClient, SeedanceClient

CLIENT_DIR = Path(client.__file__).parent


def test_all_is_exactly_the_public_names() -> None:
    public = {name for name in vars(client) if not name.startswith("_")}
    # Submodules appear as attributes once imported; they are not part of the surface.
    modules = {name for name in public if inspect.ismodule(getattr(client, name))}
    assert set(client.__all__) == public - modules
    assert len(client.__all__) == len(set(client.__all__))


def test_every_exported_name_resolves() -> None:
    for name in client.__all__:
        assert getattr(client, name) is not None


def _public_methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, callable) if not name.startswith("_")}


def _normalized(sig: inspect.Signature) -> str:
    # The twins differ only in Async-prefixed httpx types and iterator kinds.
    text = str(sig)
    text = re.sub(r"\bAsync(?=[A-Z])", "", text)
    return text


def test_sync_and_async_methods_are_twins() -> None:
    sync_methods = _public_methods(SeedanceClient)
    async_methods = _public_methods(AsyncSeedanceClient)
    assert sync_methods == async_methods
    assert {"create_task", "wait", "download", "text_to_video", "iter_tasks"} <= sync_methods
    for name in sorted(sync_methods | {"__init__"}):
        sync_sig = inspect.signature(getattr(SeedanceClient, name))
        async_sig = inspect.signature(getattr(AsyncSeedanceClient, name))
        assert _normalized(sync_sig) == _normalized(async_sig), name


def test_async_methods_are_coroutines_or_async_generators() -> None:
    for name in _public_methods(AsyncSeedanceClient):
        fn = getattr(AsyncSeedanceClient, name)
        assert inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn), name


def test_public_functions_and_classes_have_docstrings() -> None:
    for name in client.__all__:
        obj = getattr(client, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, name
    for cls in (SeedanceClient, AsyncSeedanceClient):
        for name in _public_methods(cls):
            assert getattr(cls, name).__doc__, f"{cls.__name__}.{name}"


def test_client_never_imports_the_mock_server() -> None:
    for path in CLIENT_DIR.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not name.startswith("mock_server"), f"{path.name} imports {name}"


def test_names_imported_across_client_modules_are_in_their_all() -> None:
    # A public name one module takes from another must be in that module's __all__ (or be _private).
    for path in CLIENT_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("client.")):
                continue
            source = importlib.import_module(node.module or "")
            exported = set(getattr(source, "__all__", ()))
            for alias in node.names:
                if not alias.name.startswith("_"):
                    assert alias.name in exported, (
                        f"{path.name} imports {alias.name} missing from {node.module}.__all__"
                    )
