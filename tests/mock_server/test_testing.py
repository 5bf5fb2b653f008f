"""MockServer (the thread-hosted server behind the plugin) and the plugin's marker checks."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mock_server.errors import ApiError
from mock_server.pytest_plugin import AsyncSeedanceMock
from mock_server.testing import MockServer

ROOT = Path(__file__).resolve().parents[2]


def test_with_a_key_list_the_server_hands_out_an_accepted_key() -> None:
    with MockServer(api_keys=("sk-only-this-one",)) as mock:
        assert mock.api_key == "sk-only-this-one"
        answer = httpx.get(mock.ark_base_url + "/contents/generations/tasks", headers={"Authorization": mock.api_key})
        assert answer.status_code == 200


def test_a_server_can_be_started_again_after_stop() -> None:
    mock = MockServer()
    mock.start()
    first = mock.port
    mock.stop()
    mock.start()
    try:
        assert mock.port != 0
        assert httpx.get(mock.base_url + "/_mock/health").json()["status"] == "ok"
    finally:
        mock.stop()
    assert first != 0


def test_a_marker_cannot_move_the_fixtures_address(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.seedance_mock(port=8000)
        def test_port(seedance_mock):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*UsageError*port*cannot be set: the fixture always serves 127.0.0.1*"])


def test_mockserver_checks_what_the_control_plane_checks() -> None:
    """MockServer calls the same owners as /_mock/*: a value the HTTP control plane refuses with a 400 is
    refused in Python with the same ApiError (and changes nothing), so a test cannot set up what a real
    control-plane call could not."""
    with MockServer(time_scale=0) as mock:
        before = mock.now()
        cases = [
            (lambda: mock.advance(-1), "seconds"),
            (lambda: mock.advance(True), "seconds"),  # type: ignore[arg-type]
            (lambda: mock.set_time_scale(2_000_000), "time_scale"),
            (lambda: mock.set_key("no spaces allowed", balance=5), "key"),
            (lambda: mock.set_key(balance="lots"), "balance"),
            (lambda: mock.set_key(colour="red"), "colour"),
            (lambda: mock.callbacks(outcome="meh"), "outcome"),
        ]
        for call, param in cases:
            with pytest.raises(ApiError) as caught:
                call()
            assert (caught.value.status, caught.value.param) == (400, param)
        assert mock.now() == before and mock.call(lambda s: s.clock.time_scale) == 0
        over_http = httpx.post(
            mock.base_url + "/_mock/clock/advance", json={"seconds": -1}, headers=mock.admin_headers
        ).json()
        assert over_http["error"]["param"] == "seconds"
        assert mock.set_key(balance=7)["balance"] == 7  # a good patch still applies
        assert mock.set_time_scale(0.5) >= before and mock.call(lambda s: s.clock.time_scale) == 0.5


def test_the_async_fixture_offers_every_control_method_of_the_sync_one() -> None:
    """AsyncSeedanceMock wraps MockServer's methods instead of copying them: a method added to MockServer and
    not to the async fixture fails here."""
    skip = {"start", "stop", "call", "state"}
    public = {
        name
        for name, value in vars(MockServer).items()
        if not name.startswith("_") and name not in skip and (callable(value) or isinstance(value, property))
    }
    missing = sorted(name for name in public if not hasattr(AsyncSeedanceMock, name))
    assert missing == []
    for name in public - {"sink_url", "base_url", "ark_base_url", "admin_headers"}:
        assert inspect.iscoroutinefunction(getattr(AsyncSeedanceMock, name)), name
        assert getattr(AsyncSeedanceMock, name).__doc__ == getattr(MockServer, name).__doc__


def test_the_async_fixture_runs_the_same_operation() -> None:
    with MockServer(time_scale=0) as server:
        mock = AsyncSeedanceMock(server)  # type: ignore[arg-type]

        async def go() -> tuple[float, float, list[dict[str, object]]]:
            start = await mock.now()
            moved = await mock.advance(30)
            return start, moved, await mock.journal()

        start, moved, journal = asyncio.run(go())
        assert moved == start + 30 and journal == []


def test_numpy_is_whole_before_the_server_thread_runs() -> None:
    """The server's render threads import numpy lazily; pytest.approx on the test's thread uses numpy as soon as
    sys.modules holds it, and read a half-imported one under xdist (AttributeError: isscalar). start() imports
    it on the caller's thread, so no test can see it half-done."""
    code = (
        "import sys; from mock_server.testing import MockServer;"
        "assert 'numpy' not in sys.modules; s = MockServer(log_requests=False).start();"
        "print('numpy' in sys.modules); s.stop()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "True"
