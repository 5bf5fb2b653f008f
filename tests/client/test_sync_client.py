"""What only the sync client has: ``with``, and a plain function patched in for ``cancel_task``.

Its behaviour is tested in ``test_clients.py``, whose tests run over both clients.
"""

from __future__ import annotations

import pytest

from client import SeedanceClient

from .conftest import BASE, FakeAPI


def test_delete_task_is_cancel_task(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    # One DELETE, one body: delete_task is cancel_task under the name that fits a finished task.
    seen: list[object] = []
    with SeedanceClient("sk-x", base_url=BASE, transport=api.transport) as client:
        monkeypatch.setattr(client, "cancel_task", seen.append)
        assert client.delete_task("cgt-1") is None
    assert seen == ["cgt-1"]


def test_context_manager_closes_its_own_client(api: FakeAPI) -> None:
    with SeedanceClient("sk-x", base_url=BASE, transport=api.transport) as c:
        pass
    assert c._http.is_closed
