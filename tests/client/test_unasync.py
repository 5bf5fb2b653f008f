"""``client/_sync.py`` is generated from ``client/_async.py``: the committed file must be what the generator makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import _unasync


def test_the_committed_sync_client_is_what_the_generator_makes(capsys: pytest.CaptureFixture[str]) -> None:
    # Fails after an edit of _async.py (or of _sync.py by hand): run `python client/_unasync.py`.
    assert _unasync.main(["--check"]) == 0, capsys.readouterr().out


def test_the_check_names_the_first_line_that_drifted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    drifted = tmp_path / "_sync.py"
    text = _unasync.TARGET.read_text("utf-8")
    drifted.write_text(text.replace("def get_task(", "def fetch_task(", 1), "utf-8")
    monkeypatch.setattr(_unasync, "TARGET", drifted)
    assert _unasync.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "def get_task(" in out and "def fetch_task(" in out and "python client/_unasync.py" in out


def test_async_words_become_their_sync_twins() -> None:
    line = "    async def f(self) -> AsyncIterator[x]: await self._http.aclose()  # httpx.AsyncClient\n"
    assert _unasync.unasync_line(line) == "    def f(self) -> Iterator[x]: self._http.close()  # httpx.Client\n"


def test_a_rule_that_matches_nothing_is_refused() -> None:
    # A stale rule would hide that the source changed shape; the generator says so instead of passing.
    with pytest.raises(ValueError, match="match nothing"):
        _unasync.generate("from __future__ import annotations\n")


def test_the_generated_client_carries_its_header() -> None:
    text = _unasync.TARGET.read_text("utf-8")
    assert text.startswith("# GENERATED from client/_async.py")
    assert "# unasync:" not in text and "async def" not in text and "await " not in text
