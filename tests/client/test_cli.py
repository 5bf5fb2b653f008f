"""The ``seedance`` CLI through ``main([...], transport=...)`` against the scripted fake API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx
import pytest

from client.cli import build_parser, main

from .conftest import TASKS, FakeAPI, envelope, prediction_json, task_json, undecodable

FAST = "dreamina-seedance-2-0-fast-260128"
BASE_ARGS = ["--api-key", "sk-test", "--base-url", "http://mock.test"]


def ok(body: object) -> httpx.Response:
    return httpx.Response(200, json=body)


def run(api: FakeAPI, *argv: str) -> int:
    return main([*BASE_ARGS, *argv], transport=api.transport)


def sent(api: FakeAPI, index: int = 0) -> dict:
    return json.loads(api.requests[index].content)


def test_generate_prints_the_task_id(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    code = run(
        api, "generate", "a fox", "--model", FAST, "--resolution", "480p", "--ratio", "9:16",
        "--duration", "6", "--no-audio", "--seed", "7",
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0 and out.out == "cgt-1\n"
    assert sent(api) == {
        "model": FAST,
        "content": [{"type": "text", "text": "a fox"}],
        "resolution": "480p",
        "ratio": "9:16",
        "duration": 6,
        "seed": 7,
        "generate_audio": False,
    }


def test_generate_with_images_and_references(api: FakeAPI, tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n....")
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    assert run(api, "generate", "x", "-m", FAST, "--image", str(png), "--last-image", "https://x/l.png") == 0
    roles = [c.get("role") for c in sent(api)["content"]]
    assert roles == [None, "first_frame", "last_frame"]
    assert run(api, "generate", "x", "-m", FAST, "--reference", str(png), "--reference", "https://x/v.mp4") == 0
    kinds = [(c["type"], c.get("role")) for c in sent(api, 1)["content"]]
    assert kinds == [("text", None), ("image_url", "reference_image"), ("video_url", "reference_video")]


def test_generate_wait_output_json(api: FakeAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")), ok(task_json(status="succeeded")))
    api.add("GET", "/media/cgt-1.mp4", httpx.Response(200, content=b"mp4" * 100))
    out_file = tmp_path / "out.mp4"
    code = run(api, "generate", "x", "-m", FAST, "--output", str(out_file), "--poll-interval", "0.001", "--json")
    out = capsys.readouterr()
    assert code == 0
    result = json.loads(out.out)
    assert result["status"] == "succeeded" and result["output"] == str(out_file)
    assert (result["width"], result["height"]) == (1280, 720)
    assert out_file.read_bytes() == b"mp4" * 100
    assert out.err == ""  # --json keeps stderr quiet too


def test_generate_wait_human_output(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="queued")), ok(task_json(status="succeeded")))
    assert run(api, "generate", "x", "-m", FAST, "--wait", "--poll-interval", "0.001") == 0
    out = capsys.readouterr()
    assert out.out.strip() == "cgt-1 succeeded http://mock.test/media/cgt-1.mp4"
    assert "cgt-1: queued" in out.err and "cgt-1: succeeded" in out.err


def test_generate_live_display_on_a_terminal(
    api: FakeAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich treats stderr as a terminal
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")), ok(task_json(status="succeeded")))
    api.add("GET", "/media/cgt-1.mp4", httpx.Response(200, content=b"v" * 1000))
    code = run(api, "generate", "x", "-m", FAST, "-o", str(tmp_path / "v.mp4"), "--poll-interval", "0.001")
    assert code == 0 and (tmp_path / "v.mp4").stat().st_size == 1000
    assert "saved" in capsys.readouterr().out


def test_generate_predictions_family(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    path = f"/api/v3/bytedance/{FAST}/text-to-video"
    api.add("POST", path, ok(envelope(prediction_json())))
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="completed"))))
    code = run(api, "generate", "x", "-m", FAST, "--family", "predictions", "--ratio", "1:1", "--wait", "--json",
               "--poll-interval", "0.001")  # fmt: skip
    assert code == 0
    assert sent(api) == {"prompt": "x", "aspect_ratio": "1:1"}
    assert json.loads(capsys.readouterr().out)["video_url"] == "http://mock.test/media/cgt-1.mp4"


def test_generate_predictions_image_and_reference(api: FakeAPI) -> None:
    for op in ("image-to-video", "reference-to-video"):
        api.add("POST", f"/api/v3/bytedance/{FAST}/{op}", ok(envelope(prediction_json())))
    assert run(api, "generate", "x", "-m", FAST, "--family", "predictions", "--image", "https://x/1.png") == 0
    assert sent(api, 0) == {"prompt": "x", "image": "https://x/1.png"}
    assert run(api, "generate", "x", "-m", FAST, "--family", "predictions", "--reference", "https://x/a.mp3",
               "--reference", "https://x/1.png") == 0  # fmt: skip
    assert sent(api, 1) == {"prompt": "x", "images": ["https://x/1.png"], "audios": ["https://x/a.mp3"]}


def test_validation_error_is_one_line_and_sends_nothing(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(api, "generate", "x", "-m", FAST, "--duration", "20")
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"seedance: error: duration 20 is outside 4–15 s for {FAST}\n"
    assert api.requests == []


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["generate", "x", "-m", FAST, "--last-image", "a.png"], "--last-image needs --image"),
        (["generate", "x", "-m", FAST, "--image", "https://x/1.png", "--reference", "https://x/2.png"], "mixed"),
        (["generate", "x", "-m", FAST, "--image", "/no/such.png"], "no such file"),
    ],
)
def test_usage_mistakes(api: FakeAPI, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    assert run(api, *argv) == 1
    assert fragment in capsys.readouterr().err
    assert api.requests == []


def test_api_errors_are_one_line(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    body = {
        "error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}
    }
    api.add("GET", f"{TASKS}/cgt-1", httpx.Response(401, json=body))
    assert run(api, "status", "cgt-1") == 1
    err = capsys.readouterr().err
    assert err == "seedance: error: 401 invalid_api_key: Incorrect API key provided.\n"
    assert "Traceback" not in err


def test_failed_task_exits_non_zero(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    failed = task_json(status="failed", error={"code": "OutputVideoSensitiveContentDetected", "message": "no"})
    api.add("GET", f"{TASKS}/cgt-1", ok(failed))
    assert run(api, "generate", "x", "-m", FAST, "--wait") == 1
    assert "OutputVideoSensitiveContentDetected" in capsys.readouterr().err


def test_connection_error(capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    code = main([*BASE_ARGS, "generate", "x", "-m", FAST], transport=httpx.MockTransport(refuse))
    assert code == 1
    assert capsys.readouterr().err.startswith("seedance: error: cannot reach mock.test")


def test_missing_key(monkeypatch: pytest.MonkeyPatch, api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GPTPROTO_API_KEY", raising=False)
    assert main(["status", "cgt-1"], transport=api.transport) == 1
    assert "GPTPROTO_API_KEY" in capsys.readouterr().err


def test_status(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    assert run(api, "status", "cgt-1") == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "1280" in out
    assert run(api, "--json", "status", "cgt-1") == 0
    assert json.loads(capsys.readouterr().out)["id"] == "cgt-1"


def test_status_of_a_prediction(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="processing"))))
    assert run(api, "status", "cgt-1", "--family", "predictions", "--json") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "processing"


def test_list(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("GET", TASKS, ok({"total": 2, "items": [task_json("cgt-1"), task_json("cgt-2", "running")]}))
    assert run(api, "list", "--status", "running", "--model", FAST, "--page-size", "5") == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[1].startswith("cgt-2  running")
    assert "2 of 2 tasks" in out.err
    params = api.requests[0].url.params
    assert (params["filter.status"], params["filter.model"], params["page_size"]) == ("running", FAST, "5")
    assert run(api, "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 2


def test_cancel(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="queued")))
    api.add("DELETE", f"{TASKS}/cgt-1", ok({}))
    assert run(api, "cancel", "cgt-1") == 0
    assert capsys.readouterr().out == "cancelled cgt-1\n"
    assert [r.method for r in api.requests] == ["GET", "DELETE"]
    assert run(api, "cancel", "cgt-1", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "cancelled": True, "deleted": False, "id": "cgt-1", "previous_status": "queued",
    }  # fmt: skip


@pytest.mark.parametrize("status", ["succeeded", "failed", "expired"])
def test_cancel_of_a_finished_task_says_it_was_deleted(
    api: FakeAPI, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    # The same DELETE removes a finished task's record: "cancelled" would be untrue.
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status=status)))
    api.add("DELETE", f"{TASKS}/cgt-1", ok({}))
    assert run(api, "cancel", "cgt-1") == 0
    assert capsys.readouterr().out == "deleted cgt-1\n"
    assert run(api, "cancel", "cgt-1", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "cancelled": False, "deleted": True, "id": "cgt-1", "previous_status": status,
    }  # fmt: skip


def test_cancel_of_a_running_task_reports_the_refusal(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="running")))
    refusal = {"error": {"code": "InvalidParameter", "message": "The task cgt-1 is running", "param": "id"}}
    api.add("DELETE", f"{TASKS}/cgt-1", httpx.Response(400, json=refusal))
    assert run(api, "cancel", "cgt-1") == 1
    out = capsys.readouterr()
    assert out.out == "" and "is running" in out.err


def test_cancel_help_says_it_may_delete(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cancel", "--help"])
    assert "deleted" in capsys.readouterr().out


def test_download(api: FakeAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    api.add("GET", "/media/cgt-1.mp4", httpx.Response(200, content=b"v" * 10))
    assert run(api, "download", "cgt-1", str(tmp_path / "a.mp4"), "--json") == 0
    assert json.loads(capsys.readouterr().out)["bytes"] == 10


def test_a_download_that_cannot_be_decoded_is_an_error_not_a_traceback(
    api: FakeAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.add("GET", "/media/cgt-1.mp4", undecodable())
    assert run(api, "download", "http://mock.test/media/cgt-1.mp4", str(tmp_path / "a.mp4")) == 1
    assert capsys.readouterr().err.startswith("seedance: error: ")
    assert list(tmp_path.iterdir()) == []


def test_help_texts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("generate", "status", "list", "cancel", "download", "GPTPROTO_API_KEY", "GPTPROTO_BASE_URL"):
        assert word in text
    sub = build_parser()._subparsers._group_actions[0].choices["generate"].format_help()  # type: ignore[union-attr]
    for flag in ("--image", "--last-image", "--reference", "--resolution", "--ratio", "--duration", "--no-audio",
                 "--seed", "--family", "--wait", "--output", "--json"):  # fmt: skip
        assert flag in sub


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "x"]) == 2  # no --model
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("usage: seedance generate")
    assert out.err.endswith("seedance: error: the following arguments are required: --model/-m\n")


def test_a_closed_pipe_ends_quietly(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `seedance --json list | head -c 50`: the reader leaves early; no "error: Broken pipe".
    import builtins

    real_print = builtins.print

    def closed_stdout(*args, **kwargs):
        if kwargs.get("file", sys.stdout) is sys.stdout:
            raise BrokenPipeError(32, "Broken pipe")
        return real_print(*args, **kwargs)

    api.add("GET", TASKS, ok({"total": 1, "items": [task_json("cgt-1")]}))
    monkeypatch.setattr(builtins, "print", closed_stdout)
    code = run(api, "--json", "list")
    monkeypatch.undo()
    assert code == 141
    assert "error" not in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ one surface


def _keys(capsys: pytest.CaptureFixture[str]) -> set[str]:
    return set(json.loads(capsys.readouterr().out))


def test_a_task_has_one_json_shape_in_every_command(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json(status="succeeded")))
    api.add("GET", TASKS, ok({"total": 1, "items": [task_json(status="succeeded")]}))
    assert run(api, "--json", "generate", "x", "-m", FAST) == 0
    created = json.loads(capsys.readouterr().out)
    assert (created["family"], created["id"], created["status"], created["model"]) == ("ark", "cgt-1", "queued", FAST)
    assert run(api, "--json", "status", "cgt-1") == 0
    shown = json.loads(capsys.readouterr().out)
    assert run(api, "--json", "generate", "x", "-m", FAST, "--wait", "--poll-interval", "0.001") == 0
    waited = json.loads(capsys.readouterr().out)
    assert run(api, "--json", "list") == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(created) == set(shown) == set(waited) == set(listed["items"][0])
    assert shown == waited == listed["items"][0]
    assert (shown["status"], shown["width"], shown["height"]) == ("succeeded", 1280, 720)
    assert (listed["total"], listed["page"]) == (1, 1)


def test_a_prediction_has_one_json_shape_in_every_command(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", f"/api/v3/bytedance/{FAST}/text-to-video", ok(envelope(prediction_json())))
    api.add("GET", "/api/v3/predictions/cgt-1/result", ok(envelope(prediction_json(status="completed"))))
    predictions = ("--family", "predictions")
    assert run(api, "--json", "generate", "x", "-m", FAST, *predictions) == 0
    created = json.loads(capsys.readouterr().out)
    assert (created["family"], created["status"], created["normalized_status"]) == ("predictions", "created", "queued")
    assert run(api, "--json", "status", "cgt-1", *predictions) == 0
    shown = json.loads(capsys.readouterr().out)
    assert run(api, "--json", "generate", "x", "-m", FAST, *predictions, "--wait", "--poll-interval", "0.001") == 0
    waited = json.loads(capsys.readouterr().out)
    assert set(created) == set(shown) and shown == waited
    assert shown["outputs"] == [shown["video_url"]] == ["http://mock.test/media/cgt-1.mp4"]


def test_errors_are_json_under_json(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"error": {"code": "NotFound", "message": "no task cgt-9", "param": "id", "type": "NotFound"}}
    api.add("GET", f"{TASKS}/cgt-9", httpx.Response(404, json=body, headers={"x-request-id": "rid-1"}))
    assert run(api, "status", "cgt-9", "--json") == 1
    out = capsys.readouterr()
    assert out.err == ""
    assert json.loads(out.out) == {
        "error": {
            "type": "NotFoundError", "message": "404 NotFound: no task cgt-9 (param id)", "status_code": 404,
            "code": "NotFound", "param": "id", "request_id": "rid-1",
        }
    }  # fmt: skip
    assert run(api, "--json", "generate", "x", "-m", FAST, "--duration", "20") == 1
    refused = json.loads(capsys.readouterr().out)["error"]
    assert (refused["type"], refused["param"]) == ("ValidationError", "duration")
    assert main(["--json", "list", "--page", "x"]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["error"]["type"] == "UsageError" and out.err == ""


def test_a_failed_task_under_json_carries_the_task(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    api.add("POST", TASKS, ok({"id": "cgt-1"}))
    failed = task_json(status="failed", error={"code": "OutputVideoSensitiveContentDetected", "message": "no"})
    api.add("GET", f"{TASKS}/cgt-1", ok(failed))
    assert run(api, "generate", "x", "-m", FAST, "--wait", "--json") == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["type"], error["code"]) == ("TaskFailedError", "OutputVideoSensitiveContentDetected")
    assert error["task"]["status"] == "failed" and error["task"]["id"] == "cgt-1"


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_stand_before_or_after_the_command(
    api: FakeAPI, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.delenv("GPTPROTO_API_KEY", raising=False)
    monkeypatch.delenv("GPTPROTO_BASE_URL", raising=False)
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json()))
    options = ["--api-key", "sk-late", "--base-url", "http://mock.test", "--json"]
    argv = [*options, "status", "cgt-1"] if where == "before" else ["status", "cgt-1", *options]
    assert main(argv, transport=api.transport) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "cgt-1"
    (request,) = api.requests
    assert request.headers["authorization"] == "Bearer sk-late" and request.url.host == "mock.test"


def test_an_option_before_the_command_is_not_reset_by_the_command(api: FakeAPI) -> None:
    # The command's copy of a global option is unset unless given, so it never overwrites the top one.
    api.add("GET", f"{TASKS}/cgt-1", ok(task_json()))
    argv = ["--api-key", "sk-top", "--base-url", "http://mock.test", "status", "cgt-1"]
    assert main(argv, transport=api.transport) == 0
    assert api.requests[0].headers["authorization"] == "Bearer sk-top"


def _parsers() -> list[argparse.ArgumentParser]:
    top = build_parser()
    commands = top._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    return [top, *commands.values()]


def test_each_help_default_is_printed_once() -> None:
    for parser in _parsers():
        text = " ".join(parser.format_help().split())
        for action in parser._actions:
            assert (action.help or "").count("default") <= 1, (parser.prog, action.dest)
        assert text.count("https://gptproto.com") <= 1, parser.prog
        assert text.count("$GPTPROTO_API_KEY") <= 1, parser.prog


def test_an_undecodable_argument_is_an_error_not_a_traceback(api: FakeAPI, capsys: pytest.CaptureFixture[str]) -> None:
    # Bytes that are not UTF-8 reach sys.argv as lone surrogates (surrogateescape).
    prompt = b"a fox \xff".decode("utf-8", "surrogateescape")
    assert run(api, "generate", prompt, "-m", FAST) == 1
    message = "body.content[0].text holds text that cannot be sent: surrogates not allowed"
    assert capsys.readouterr().err == f"seedance: error: {message}\n"
    assert run(api, "--json", "status", "cgt-\udcff") == 1
    assert json.loads(capsys.readouterr().out)["error"]["param"] == "id"
    assert api.requests == []
