"""The validation proxy [issue 14]: ``--upstream`` forwards and judges, ``--record`` writes, ``--replay`` answers
offline. Upstreams are a second mock and a deliberately drifted fake (tests/mock_server/proxy_support.py)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from client._base import tls_context
from mock_server.__main__ import main
from mock_server.testing import MockServer
from tests import support
from tests.mock_server.proxy_support import (
    ARK,
    AUTH,
    FAKE_ID,
    FAKE_RID,
    KITE,
    MODEL_1,
    MODEL_2,
    SECRET,
    SEEN,
    closed_port,
    drifted_app,
    record_session,
    serve,
)
from tests.support import assert_contract

BODY = {"model": MODEL_1, "content": [{"type": "text", "text": "a red kite"}], "resolution": "480p"}


@pytest.fixture
def upstream(media_dir: Path) -> Iterator[MockServer]:
    with MockServer(time_scale=0, cache_dir=media_dir) as up:
        yield up


@pytest.fixture
def proxy(upstream: MockServer) -> Iterator[MockServer]:
    with MockServer(upstream=upstream.base_url, time_scale=0) as px:
        yield px


def drift_of(px: MockServer) -> dict:
    answer = support.http.get(px.base_url + "/_mock/drift")
    assert answer.status_code == 200
    return answer.json()


# ---------------------------------------------------------------------------------------------- faithful upstream


def test_create_and_polling_reach_the_upstream_and_come_back_unchanged(upstream: MockServer, proxy: MockServer) -> None:
    with httpx.Client(verify=tls_context(), headers=AUTH) as http:
        created = http.post(proxy.base_url + ARK, json=BODY, params={"trace": "a b"})
        assert created.status_code == 200
        task_id = created.json()["id"]
        queued = http.get(f"{proxy.base_url}{ARK}/{task_id}")
        upstream.advance(100)
        done = http.get(f"{proxy.base_url}{ARK}/{task_id}")
        direct = http.get(f"{upstream.base_url}{ARK}/{task_id}")

    journal = upstream.journal()
    assert [(e["method"], e["path"]) for e in journal[:3]] == [
        ("POST", ARK),
        ("GET", f"{ARK}/{task_id}"),
        ("GET", f"{ARK}/{task_id}"),
    ]
    assert journal[0]["body"] == BODY and journal[0]["query"] == {"trace": ["a b"]}
    assert journal[0]["key"] != SECRET and journal[0]["key"].endswith(SECRET[-4:])  # the caller's key went on
    # Unchanged: the upstream's own request ids, content type and body bytes.
    assert [created.headers["x-request-id"], queued.headers["x-request-id"]] == [
        journal[0]["request_id"],
        journal[1]["request_id"],
    ]
    assert created.headers["content-type"].startswith("application/json")
    assert queued.json()["status"] == "queued"
    assert done.json()["status"] == "succeeded" and done.content == direct.content
    assert "x-seedance-drift" not in done.headers

    report = drift_of(proxy)
    assert report["checked"] >= 2 and report["drift"] == [] and report["unreachable"] == 0


def test_a_request_the_contracts_refuse_is_still_forwarded(upstream: MockServer, proxy: MockServer) -> None:
    refused = support.http.post(proxy.base_url + ARK, json={**BODY, "duration": 1000}, headers=AUTH)
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "duration"
    (entry,) = upstream.journal(method="POST")
    assert entry["body"]["duration"] == 1000 and entry["status"] == 400
    assert refused.headers["x-request-id"] == entry["request_id"]
    assert drift_of(proxy) == {"checked": 1, "unreachable": 0, "drift": []}  # both refused: no drift


def test_predictions_and_errors_pass_through(upstream: MockServer, proxy: MockServer) -> None:
    with httpx.Client(verify=tls_context(), base_url=proxy.base_url, headers=AUTH) as http:
        sub = http.post(f"/api/v3/bytedance/{MODEL_2}/text-to-video", json={"prompt": "a kite", "duration": 4})
        pred = sub.json()["data"]
        assert sub.status_code == 200 and pred["status"] == "created"
        assert pred["urls"]["get"].startswith(upstream.base_url)  # the upstream's answer, not rewritten
        upstream.advance(100)
        result = http.get(f"/api/v3/predictions/{pred['id']}/result").json()["data"]
        assert result["status"] == "completed"
        missing = http.get(f"{ARK}/cgt-20200101000000-zz9zz")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
        no_key = support.http.get(proxy.base_url + ARK)
        assert no_key.status_code == 401 and no_key.json()["error"]["type"] == "invalid_request_error"
    assert drift_of(proxy)["drift"] == []


# ---------------------------------------------------------------------------------------------- drifted upstream


def test_drift_is_passed_through_and_named(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "seedance_mock")
    app = drifted_app()
    with (
        serve(app) as origin,
        MockServer(upstream=origin, log_requests=True) as px,
        httpx.Client(verify=tls_context(), headers=AUTH) as http,
    ):
        created = http.post(px.base_url + ARK, json=BODY)
        task = http.get(f"{px.base_url}{ARK}/{FAKE_ID}")
        report = drift_of(px)

    assert created.json() == {"id": FAKE_ID} and "x-seedance-drift" not in created.headers
    assert task.status_code == 200
    assert task.json()["status"] == "in_progress" and task.json()["duration"] == "5"  # unchanged
    assert task.headers["x-request-id"] == FAKE_RID and task.headers["Retry-After"] == "7"
    assert [m for m, _, _ in app[SEEN]] == ["POST", "GET"]
    assert app[SEEN][0][2] == f"Bearer {SECRET}"  # the caller's Authorization, as sent

    by_field = {d["path"]: d for d in report["drift"]}
    assert int(task.headers["x-seedance-drift"]) == len(report["drift"]) == 3
    assert set(by_field) == {"status", "duration", "model"}
    assert "'in_progress'" in by_field["status"]["got"] and "queued" in by_field["status"]["expected"]
    assert by_field["duration"]["got"] == "'5'" and "integer" in by_field["duration"]["expected"]
    assert by_field["model"]["got"] == "<absent>" and "required" in by_field["model"]["expected"]
    for item in report["drift"]:
        assert item["contract"] == "ark.task" and item["method"] == "GET" and item["kind"] == "response"
        assert item["endpoint"] == f"{ARK}/{FAKE_ID}" and item["request_id"] == FAKE_RID
        assert item["time"].endswith("Z")
    assert report["checked"] == 2
    assert "drift: GET" in caplog.text and "in_progress" in caplog.text


def test_drift_report_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(drifted_app()) as origin, MockServer(upstream=origin) as px:
        support.http.get(f"{px.base_url}{ARK}/{FAKE_ID}", headers=AUTH)
        assert main(["drift-report", "--url", px.base_url]) == 1
    out = capsys.readouterr().out
    assert out.startswith("3 finding(s) in 1 checked exchange(s); 0 unreachable")
    assert "ark.task: status" in out and "'in_progress'" in out and FAKE_RID[:20] in out


def test_drift_report_on_a_clean_proxy_and_an_unreachable_one(
    proxy: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift-report", "--url", proxy.base_url]) == 0
    assert capsys.readouterr().out.startswith("0 finding(s) in 0 checked")
    assert main(["drift-report", "--url", f"http://127.0.0.1:{closed_port()}"]) == 2
    assert "cannot reach" in capsys.readouterr().err


def test_keys_are_never_recorded_or_logged_whole(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(drifted_app()) as origin, MockServer(upstream=origin, record_dir=tmp_path, log_requests=True) as px:
        echoed = support.http.get(px.base_url + ARK, headers=AUTH)  # the fake echoes the key in its 401
        support.http.get(f"{px.base_url}{ARK}/{FAKE_ID}", headers=AUTH)
        report = drift_of(px)
    assert SECRET in echoed.text  # what the upstream said reaches the caller unchanged …
    stored = "".join(p.read_text() for p in tmp_path.iterdir())
    assert stored and SECRET not in stored and SECRET[-4:] in stored  # … but is stored redacted
    assert SECRET not in json.dumps(report) and SECRET not in caplog.text


# ---------------------------------------------------------------------------------------------- unreachable


def test_an_unreachable_upstream_is_a_502_in_the_family_shape() -> None:
    with MockServer(upstream=f"http://127.0.0.1:{closed_port()}") as px:
        ark = support.http.post(px.base_url + ARK, json=BODY, headers=AUTH)
        pred = support.http.get(px.base_url + "/api/v3/predictions/cgt-x/result", headers=AUTH)
        report = drift_of(px)
    assert ark.status_code == 502 and ark.headers["x-request-id"]
    assert assert_contract("ark.error", ark.json())["error"]["code"] == "BadGateway"
    assert pred.status_code == 502 and assert_contract("predictions.error", pred.json())["code"] == 502
    assert report["unreachable"] == 2 and report["checked"] == 2
    assert {d["kind"] for d in report["drift"]} == {"unreachable"}


def test_a_slow_upstream_times_out_as_502_not_a_hang() -> None:
    with serve(drifted_app()) as origin, MockServer(upstream=origin, upstream_timeout=0.3) as px:
        slow = support.http.get(px.base_url + "/api/v3/predictions/cgt-x/result", headers=AUTH, timeout=20)
        report = drift_of(px)
    assert slow.status_code == 502 and "did not answer" in slow.json()["message"]
    assert report["unreachable"] == 1 and "timeout" in report["drift"][0]["got"]


def test_the_control_plane_and_media_stay_local(proxy: MockServer, upstream: MockServer) -> None:
    assert support.http.get(proxy.base_url + "/_mock/health").json()["status"] == "ok"
    assert upstream.journal() == []


# ---------------------------------------------------------------------------------------------- record, replay


def test_a_recorded_session_replays_offline(tmp_path: Path, media_dir: Path) -> None:
    rec = tmp_path / "rec"
    with MockServer(time_scale=0, cache_dir=media_dir) as up, MockServer(upstream=up.base_url, record_dir=rec) as px:
        ids = record_session(up, px)
    # The upstream is gone. The recording is one readable file per task and the others.
    files = sorted(p.name for p in rec.iterdir())
    assert files == sorted([f"{ids['ark']}.json", f"{ids['predictions']}.json", "other.jsonl"])
    ark_rec = json.loads((rec / f"{ids['ark']}.json").read_text())
    assert [r["body"]["status"] for r in ark_rec["reads"]] == ["queued", "running", "succeeded"]
    assert ark_rec["create"]["authorization"] == "Bearer sk-…" + SECRET[-4:]

    with (
        MockServer(replay_dir=rec, time_scale=0, cache_dir=media_dir) as rp,
        httpx.Client(verify=tls_context(), base_url=rp.base_url, headers=AUTH) as http,
    ):
        created = http.post(
            ARK,
            json={**KITE, "seed": None},
        )
        assert created.status_code == 200 and created.json() == {"id": ids["ark"]}
        assert http.get(f"{ARK}/{ids['ark']}").json()["status"] == "queued"
        assert http.get(f"{ARK}/{ids['ark']}").json()["status"] == "queued"  # the clock has not moved
        rp.advance(3600)
        done = http.get(f"{ARK}/{ids['ark']}").json()
        assert done["status"] == "succeeded"
        video = done["content"]["video_url"]
        assert video.startswith(rp.base_url + "/media/864x480-49f-m-")  # own renderer, recorded size, 1.0: mute
        media = support.http.get(video)
        assert media.status_code == 200 and media.headers["content-type"] == "video/mp4"

        sub = http.post(
            f"/api/v3/bytedance/{MODEL_2}/text-to-video", json={"prompt": "a kite", "resolution": "480p", "duration": 4}
        )
        assert sub.json()["data"]["id"] == ids["predictions"]
        assert sub.json()["data"]["urls"]["get"].startswith(rp.base_url)
        first = http.get(f"/api/v3/predictions/{ids['predictions']}/result").json()["data"]
        assert first["status"] == "created"
        rp.advance(3600)
        last = http.get(f"/api/v3/predictions/{ids['predictions']}/result").json()["data"]
        assert last["status"] == "completed" and last["outputs"][0].startswith(rp.base_url + "/media/")

        refused = http.post(
            ARK, json={"model": MODEL_1, "content": [{"type": "text", "text": "a kite"}], "duration": 1000}
        )
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "duration"

        other = http.post(ARK, json=BODY)  # never recorded: the simulated mock answers
        assert other.status_code == 200 and other.json()["id"] not in ids.values()


def test_replay_statuses_never_go_back(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    with MockServer(time_scale=0) as up, MockServer(upstream=up.base_url, record_dir=rec) as px:
        ids = record_session(up, px)
    # Space the recorded reads out in time, as polling a real API would: 0 s, 10 s, 20 s.
    path = rec / f"{ids['ark']}.json"
    data = json.loads(path.read_text())
    for i, read in enumerate(data["reads"]):
        read["after_create"] = 10.0 * i
    path.write_text(json.dumps(data))
    with (
        MockServer(replay_dir=rec, time_scale=0) as rp,
        httpx.Client(verify=tls_context(), base_url=rp.base_url, headers=AUTH) as http,
    ):
        http.post(
            ARK,
            json=KITE,
        )
        seen = []
        for step in (0, 5, 5, 0, 3, 100):
            rp.advance(step)
            seen.append(http.get(f"{ARK}/{ids['ark']}").json()["status"])
    assert seen == ["queued", "queued", "running", "running", "running", "succeeded"]


def test_replay_strict_and_ignored_fields(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    with MockServer(time_scale=0) as up, MockServer(upstream=up.base_url, record_dir=rec) as px:
        ids = record_session(up, px)
    with MockServer(replay_dir=rec, replay_strict=True, replay_ignore=("duration",), time_scale=0) as rp:
        again = support.http.post(
            rp.base_url + ARK,
            headers=AUTH,
            json={
                "model": MODEL_1,
                "content": [{"type": "text", "text": "a kite"}],
                "resolution": "480p",
                "duration": 7,
            },
        )
        assert again.json() == {"id": ids["ark"]}  # duration marked volatile
        unknown = support.http.post(rp.base_url + ARK, json=BODY, headers=AUTH)
        assert unknown.status_code == 404 and "--replay-strict" in unknown.json()["error"]["message"]
        assert unknown.headers["x-request-id"]
        listed = support.http.get(rp.base_url + ARK, headers=AUTH)
        assert listed.status_code == 404


def test_the_kept_fixture_replays(media_dir: Path) -> None:
    """tests/fixtures/recordings/mock-session, recorded against the mock itself, still replays."""
    folder = Path(__file__).parents[1] / "fixtures" / "recordings" / "mock-session"
    task_files = sorted(p for p in folder.glob("*.json"))
    assert len(task_files) == 2
    ark = next(json.loads(p.read_text()) for p in task_files if json.loads(p.read_text())["family"] == "ark")
    with MockServer(replay_dir=folder, replay_strict=True, time_scale=0, cache_dir=media_dir) as rp:
        created = support.http.post(rp.base_url + ARK, json=ark["create"]["request"], headers=AUTH)
        assert created.json() == {"id": ark["task_id"]}
        rp.advance(10)
        task = support.http.get(f"{rp.base_url}{ARK}/{ark['task_id']}", headers=AUTH).json()
        assert task["status"] == ark["reads"][-1]["body"]["status"] == "succeeded"
        recorded_video = ark["reads"][-1]["body"]["content"]["video_url"]
        # The same file upstream (the mock) rendered: size, frames, audio and seed, served here now.
        assert (
            task["content"]["video_url"].split("/media/")[1].split("?")[0]
            == (recorded_video.split("/media/")[1].split("?")[0])
        )
        assert task["content"]["video_url"].startswith(rp.base_url)


# ---------------------------------------------------------------------------------------------- official SDKs


def test_official_sdks_work_through_the_proxy(media_dir: Path) -> None:
    import wavespeed
    from volcenginesdkarkruntime import Ark

    fast = {"time_scale": 1.0, "queue_seconds": 0.05, "run_seconds": 0.2, "cache_dir": media_dir}
    with MockServer(**fast) as up, MockServer(upstream=up.base_url) as px:
        tasks = Ark(base_url=px.ark_base_url, api_key=SECRET).content_generation.tasks
        created = tasks.create(model=MODEL_2, content=[{"type": "text", "text": "A cat --dur 4"}], resolution="480p")
        deadline = time.monotonic() + 10
        while (task := tasks.get(task_id=created.id)).status not in ("succeeded", "failed") and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert task.status == "succeeded" and task.content.video_url.startswith(up.base_url + "/media/")
        assert [t.id for t in tasks.list(page_size=10, task_ids=[created.id]).items] == [created.id]
        tasks.delete(task_id=created.id)

        client = wavespeed.Client(base_url=px.base_url, api_key=SECRET)
        output = client.run(
            f"bytedance/{MODEL_2}/text-to-video",
            {"prompt": "A cat", "duration": 4, "resolution": "480p"},
            poll_interval=0.05,
        )
        assert output["outputs"][0].startswith(up.base_url + "/media/")
        report = drift_of(px)
        journal = up.journal()
    assert {e["method"] for e in journal} == {"POST", "GET", "DELETE"}
    assert report["drift"] == [] and report["checked"] == len(journal)


# ---------------------------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    "argv",
    [
        ["--upstream", "ftp://example.com"],
        ["--upstream", "http://"],
        ["--upstream", "https://gptproto.com?x=1"],
        ["--upstream", "http://127.0.0.1:1", "--upstream-timeout", "0"],
        ["--record", "rec"],
        ["--replay", "no-such-dir"],
        ["--replay-strict"],
        ["--upstream", "http://127.0.0.1:1", "--replay", "."],
    ],
)
def test_bad_proxy_options_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("seedance-mock: ") and err.count("\n") == 1


def test_a_broken_recording_is_refused_at_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cgt-1.json").write_text("{not json")
    assert main(["--replay", str(tmp_path)]) == 2
    assert "cgt-1.json" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- odd input


def test_odd_input_through_the_proxy(tmp_path: Path, media_dir: Path) -> None:
    """A body over the limit is a 413 in the family's shape; a lone surrogate and a very deep body reach the
    upstream, whose verdict comes back; recordings stay valid JSON."""
    rec = tmp_path / "rec"
    with (
        MockServer(time_scale=0, cache_dir=media_dir) as up,
        MockServer(upstream=up.base_url, record_dir=rec, max_body_bytes=4096) as px,
        httpx.Client(
            verify=tls_context(), base_url=px.base_url, headers={**AUTH, "Content-Type": "application/json"}
        ) as http,
    ):
        big = http.post(ARK, content=b'{"model": "' + b"x" * 10_000 + b'"}')
        assert big.status_code == 413 and big.headers["x-request-id"]
        assert assert_contract("ark.error", big.json())["error"]["code"] == "RequestEntityTooLarge"
        lone = http.post(
            ARK,
            content=b'{"model": "' + MODEL_1.encode() + b'", "content": [{"type": "text", "text": "\\ud800 kite"}]}',
        )
        # The upstream (here a mock, which refuses a lone surrogate [FIDELITY §12]) judges it: its verdict,
        # not the proxy's, is the one returned.
        assert lone.status_code == 400 and "Unicode" in lone.json()["error"]["message"]
        deep = http.post(ARK, content=b"[" * 2000 + b"]" * 2000)
        posts = up.journal(method="POST")
        assert len(posts) == 2  # the 413 never left; the other two did
        assert lone.headers["x-request-id"] == posts[0]["request_id"] and posts[0]["status"] == 400
        assert deep.status_code == posts[1]["status"] and deep.headers["x-request-id"] == posts[1]["request_id"]
        assert drift_of(px)["checked"] == 2
    for recording in rec.glob("*.json"):
        json.loads(recording.read_text("utf-8"))


def test_forwards_only_to_the_upstream(upstream: MockServer, proxy: MockServer) -> None:
    """An absolute-form request line naming another host still goes to --upstream, path and query kept."""
    import socket

    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as conn:
        conn.sendall(
            f"GET http://elsewhere.invalid{ARK}/cgt-20200101000000-zz9zz?a=%20b HTTP/1.1\r\n"
            f"Host: elsewhere.invalid\r\nAuthorization: Bearer {SECRET}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 404")
    (entry,) = upstream.journal()
    assert entry["path"] == f"{ARK}/cgt-20200101000000-zz9zz" and entry["query"] == {"a": [" b"]}


def test_concurrent_traffic_is_all_checked(upstream: MockServer, proxy: MockServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with (
        httpx.Client(verify=tls_context(), base_url=proxy.base_url, headers=AUTH) as http,
        ThreadPoolExecutor(8) as pool,
    ):
        answers = list(pool.map(lambda _: http.post(ARK, json=BODY), range(24)))
        ids = {a.json()["id"] for a in answers}
        reads = list(pool.map(lambda i: http.get(f"{ARK}/{i}"), ids))
    assert {a.status_code for a in answers + reads} == {200} and len(ids) == 24
    report = drift_of(proxy)
    assert report == {"checked": 48, "unreachable": 0, "drift": []}
    assert len(upstream.journal()) == 48
