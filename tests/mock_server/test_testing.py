"""MockServer (the thread-hosted server behind the plugin) and the plugin's marker checks."""

from __future__ import annotations

import httpx
import pytest

from mock_server.testing import MockServer


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
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*UsageError*port*cannot be set: the fixture always serves 127.0.0.1*"])
