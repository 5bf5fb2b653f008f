"""Hostile input: whatever a caller sends, the answer is a clear 4xx in the family's upstream error shape with
an ``x-request-id`` (or the request works), and the server stays healthy afterwards: the key's task list,
the journal and health still answer 200 [FIDELITY §12, §13]."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.__main__ import build_parser, check_args, exposure_warning, main
from tests.mock_server.conftest import KEY, Mock
from tests.support import assert_contract, text_body

TASKS = "/api/v3/contents/generations/tasks"
FAST = "doubao-seedance-2-0-fast-260128"
PREDICT = f"/api/v3/bytedance/{FAST}/text-to-video"
JSON = {"Content-Type": "application/json"}


async def raw(mock: Mock, method: str, path: str, data: bytes, **headers: str) -> tuple[int, Any, Any, bytes]:
    """Send ``data`` as the body byte for byte; (status, parsed JSON, headers, raw body)."""
    headers = {"Authorization": f"Bearer {KEY}", **JSON, **headers}
    resp = await mock.client.request(method, path, data=data, headers=headers)
    body = await resp.read()
    assert resp.content_type == "application/json", body[:200]
    return resp.status, json.loads(body), resp.headers, body


def refused(status: int, data: Any, headers: Any, path: str, *, code: int = 400) -> dict:
    """The answer is ``code`` in the upstream shape of ``path``'s family, with a request id; its error."""
    assert status == code, data
    assert headers.get("x-request-id")
    if path.startswith("/api/v3/bytedance/"):
        return assert_contract("predictions.error", data)["error"]
    if path.startswith("/api/"):
        return assert_contract("ark.error", data)["error"]
    assert set(data) == {"error"} and {"code", "message", "param", "type"} <= set(data["error"])
    return data["error"]


async def assert_healthy(mock: Mock) -> None:
    """Listing, the journal and health answer 200 with JSON that encodes (a stored surrogate would not)."""
    for path in (TASKS, "/api/v3/predictions/cgt-none/result", "/_mock/requests", "/_mock/health"):
        resp = await mock.client.get(path, headers={"Authorization": f"Bearer {KEY}"})
        body = await resp.read()
        if path.startswith("/api/v3/predictions"):
            assert resp.status == 404  # a clean upstream-shaped miss, not a 500
        else:
            assert resp.status == 200, body[:300]
        json.loads(body)


# -- strings that are not Unicode ----------------------------------------------------------------------

SURROGATE_BODIES = [
    ("safety_identifier", text_body(safety_identifier="\ud800")),
    ("content[0].text", text_body(prompt="a cat \udfff on a mat")),
    ("content[0].\udc80", {"model": "dreamina-seedance-2-0-260128", "content": [{"type": "text", "\udc80": "x"}]}),
    ("\ud83d", {**text_body(), "\ud83d": 1}),
]


@pytest.mark.parametrize(("param", "body"), SURROGATE_BODIES, ids=["value", "prompt", "nested-key", "key"])
async def test_a_lone_surrogate_anywhere_in_an_ark_body_is_refused_naming_the_field(
    mock: Mock, param: str, body: dict
) -> None:
    status, data, headers = await mock.call("POST", TASKS, json=body)  # json.dumps escapes it as \\udXXX
    error = refused(status, data, headers, TASKS)
    assert error["param"] == param.encode("utf-8", "backslashreplace").decode()
    assert "Unicode" in error["message"]
    await assert_healthy(mock)
    assert (await mock.call("GET", TASKS))[1]["total"] == 0  # nothing was stored


async def test_a_lone_surrogate_in_a_predictions_body_is_refused_in_its_shape(mock: Mock) -> None:
    for body, param in [({"prompt": "\ud800"}, "prompt"), ({"prompt": "x", "\ud800": 1}, "\\ud800")]:
        status, data, headers = await mock.call("POST", PREDICT, json=body)
        assert refused(status, data, headers, PREDICT)["param"] == param
    await assert_healthy(mock)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_mock/faults", {"path": "/api/\ud800", "status": 500}),
        ("PUT", f"/_mock/keys/{KEY}", {"models": ["\ud800"]}),
        ("POST", "/_mock/clock/advance", {"seconds": 1, "\udc00": 2}),
    ],
)
async def test_a_lone_surrogate_in_a_control_plane_body_is_refused(mock: Mock, method, path, body) -> None:
    status, data, headers = await mock.call(method, path, json=body)
    assert "Unicode" in refused(status, data, headers, path)["message"]
    assert (await mock.call("GET", "/_mock/faults"))[1]["items"] == []
    await assert_healthy(mock)


async def test_invalid_utf8_and_nul_bytes(mock: Mock) -> None:
    status, data, headers, _ = await raw(mock, "POST", TASKS, b'{"model": "\xff\xfe", "content": []}')
    assert "not valid JSON" in refused(status, data, headers, TASKS)["message"]
    # An encoded surrogate (CESU-8 style) is not UTF-8 either.
    status, data, headers, _ = await raw(mock, "POST", TASKS, b'{"x": "\xed\xa0\x80"}')
    refused(status, data, headers, TASKS)
    # NUL is a valid character: the task is made and reads back unchanged.
    status, data, _ = await mock.call("POST", TASKS, json=text_body(prompt="a\u0000b"))
    assert status == 200, data
    status, task, _ = await mock.call("GET", f"{TASKS}/{data['id']}")
    assert status == 200 and task["id"] == data["id"]
    await assert_healthy(mock)


# -- size, depth and numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TASKS, PREDICT, "/_mock/faults"])
async def test_deep_nesting_is_a_400_not_a_recursion_error(mock: Mock, path: str) -> None:
    for body in (b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" * 40 + b"]" * 40):
        status, data, headers, _ = await raw(mock, "POST", path, body)
        assert "nested too deeply" in refused(status, data, headers, path)["message"]
    await assert_healthy(mock)


async def test_a_body_of_too_many_values_is_a_400(mock: Mock) -> None:
    for body in (b"[" + b"0," * 100_000 + b"0]", b'{"model": "x", "content": [' + b"{}," * 100_000 + b"{}]}"):
        status, data, headers, _ = await raw(mock, "POST", TASKS, body)
        assert "too many values" in refused(status, data, headers, TASKS)["message"]
    await assert_healthy(mock)


async def test_the_deepest_refusal_names_where_it_went_too_deep(mock: Mock) -> None:
    deep: list = []
    for _ in range(31):
        deep = [deep]
    body = {"model": "x", "content": [{"image_url": {"url": deep}}]}
    status, data, headers = await mock.call("POST", TASKS, json=body)
    assert refused(status, data, headers, TASKS)["param"].startswith("content[0].image_url.url[0]")


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        (TASKS, json.dumps(text_body()).encode()[:-1] + b', "seed": ' + b"9" * 5000 + b"}", "seed"),
        (PREDICT, b'{"prompt": "x", "seed": -' + b"1" * 5000 + b"}", "seed"),
        ("/_mock/clock/advance", b'{"seconds": ' + b"7" * 5000 + b"}", "seconds"),
        ("/_mock/clock/advance", b'{"seconds": 1e999}', "seconds"),
        ("/_mock/clock/advance", b'{"seconds": NaN}', "seconds"),
        (TASKS, b'{"model": "x", "seed": Infinity}', "seed"),
        (TASKS, b'{"model": "x", "seed": 18446744073709551616}', "seed"),
    ],
)
async def test_numbers_beyond_64_bits_or_not_finite_are_refused(mock: Mock, path, body, param) -> None:
    method = "POST"
    status, data, headers, _ = await raw(mock, method, path, body)
    assert refused(status, data, headers, path)["param"] == param
    assert (await mock.call("GET", "/_mock/clock"))[1]["advanced"] == 0
    await assert_healthy(mock)


async def test_echoed_input_is_bounded(mock: Mock) -> None:
    name = "f" * 1_000_000
    status, data, headers, body = await raw(mock, "POST", TASKS, json.dumps({**text_body(), name: 1}).encode())
    error = refused(status, data, headers, TASKS)
    assert len(body) < 4_000 and len(error["param"]) <= 200 and error["param"].endswith("…")
    # A huge unknown path and query are cut too.
    resp = await mock.client.get("/api/v3/" + "p" * 6000, headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status == 404 and len(await resp.read()) < 4_000
    # A huge prompt is accepted whole (it is the user's data, not an echo).
    status, _, _ = await mock.call("POST", TASKS, json=text_body(prompt="word " * 200_000))
    assert status in (200, 400)
    await assert_healthy(mock)


async def test_body_over_the_limit_is_a_413_in_shape(make_mock) -> None:
    mock = await make_mock(max_body_bytes=1024)
    status, data, headers, _ = await raw(mock, "POST", TASKS, b'{"model": "' + b"x" * 4096 + b'"}')
    refused(status, data, headers, TASKS, code=413)
    await assert_healthy(mock)


WRONG_TYPES = [
    [], "text", 1, None, True, [text_body()],
    {"model": 1, "content": []}, {"model": ["x"]}, {"model": {"a": 1}},
    {**text_body(), "content": "a cat"}, {**text_body(), "content": {"type": "text"}},
    {**text_body(), "content": [1, None, "x", []]}, {**text_body(), "content": [{"type": 1, "text": 2}]},
    {**text_body(), "content": [{"type": "image_url", "image_url": "http://x/y.png"}]},
    {**text_body(), "content": [{"type": "image_url", "image_url": {"url": 5}}]},
    {**text_body(), "content": [{"type": "image_url", "image_url": {"url": ["a"]}, "role": {}}]},
    {**text_body(), "seed": "1"}, {**text_body(), "seed": 1.5}, {**text_body(), "duration": [5]},
    {**text_body(), "ratio": 16}, {**text_body(), "watermark": "yes"}, {**text_body(), "callback_url": 3},
    {**text_body(), "return_last_frame": {}}, {**text_body(), "resolution": None, "ratio": {"x": 1}},
]  # fmt: skip


async def test_wrong_json_types_at_every_level_are_400s(mock: Mock) -> None:
    for body in WRONG_TYPES:
        status, data, headers, _ = await raw(mock, "POST", TASKS, json.dumps(body).encode())
        assert status == 400, (body, data)
        refused(status, data, headers, TASKS)
    for body in [
        [], "x", 1, None, {"prompt": 1}, {"prompt": ["x"]}, {"prompt": "x", "duration": "five"},
        {"prompt": "x", "duration": "\u0665"}, {"prompt": "x", "images": "http://x"},
        {"prompt": "x", "images": [1]}, {"prompt": {"a": 1}},
    ]:  # fmt: skip
        status, data, headers, _ = await raw(mock, "POST", PREDICT, json.dumps(body).encode())
        assert status == 400, (body, data)
        refused(status, data, headers, PREDICT)
    await assert_healthy(mock)


async def test_control_plane_wrong_types(mock: Mock) -> None:
    for method, path, body in [
        ("POST", "/_mock/faults", []), ("POST", "/_mock/faults", {"status": "500"}),
        ("POST", "/_mock/faults", {"times": -1}), ("POST", "/_mock/faults", {"delay": 1e308}),
        ("PUT", "/_mock/keys/k-1234567", []), ("PUT", "/_mock/keys/k-1234567", {"balance": 1.5}),
        ("PUT", "/_mock/keys/k-1234567", {"models": "x"}), ("PUT", "/_mock/clock", {"time_scale": None}),
        ("POST", "/_mock/clock/advance", {"seconds": [1]}),
    ]:  # fmt: skip
        status, data, headers = await mock.call(method, path, json=body)
        refused(status, data, headers, path)
    await assert_healthy(mock)


async def test_concurrent_hostile_and_valid_requests(mock: Mock) -> None:
    hostile = [b"[" * 100_000, b'{"model": "\\ud800"}', b"\xff", b'{"seed": ' + b"9" * 5000 + b"}"] * 10
    good = [json.dumps(text_body(prompt=f"cat {i}")).encode() for i in range(20)]
    answers = await asyncio.gather(*(raw(mock, "POST", TASKS, body) for body in hostile + good))
    assert [a[0] for a in answers] == [400] * len(hostile) + [200] * len(good)
    assert len({a[2]["x-request-id"] for a in answers}) == len(answers)
    assert (await mock.call("GET", f"{TASKS}?page_size=100"))[1]["total"] == 20
    await assert_healthy(mock)


# -- headers, methods, URLs ----------------------------------------------------------------------------


async def test_405_names_what_is_allowed(mock: Mock) -> None:
    status, data, headers = await mock.call("PATCH", TASKS)
    refused(status, data, headers, TASKS, code=405)
    assert {"GET", "POST"} <= {m.strip() for m in headers["Allow"].split(",")}


async def test_a_malformed_host_is_a_400_and_never_reaches_a_url(mock: Mock) -> None:
    for host in ["x/y?z#", "a b", "evil.com:99999", "[::1", ""]:
        status, data, headers = await mock.call("POST", TASKS, json=text_body(), headers={"Host": host})
        assert refused(status, data, headers, TASKS)["param"] == "Host"
    status, data, _ = await mock.call("POST", TASKS, json=text_body(), headers={"Host": "mock.example:8080"})
    assert status == 200
    await mock.advance(10)
    task = (await mock.call("GET", f"{TASKS}/{data['id']}", headers={"Host": "mock.example:8080"}))[1]
    assert task["content"]["video_url"].startswith("http://mock.example:8080/media/")
    await assert_healthy(mock)


async def test_with_public_url_the_host_header_is_not_used(make_mock) -> None:
    mock = await make_mock(public_url="https://mock.test")
    status, data, _ = await mock.call("POST", PREDICT, json={"prompt": "x"}, headers={"Host": "x/y?z#"})
    assert status == 200 and data["data"]["urls"]["get"].startswith("https://mock.test/api/v3/predictions/")


async def test_raw_header_bytes_that_are_not_ascii(mock: Mock) -> None:
    """Header bytes that decode to lone surrogates (Host, x-client-request-id) never make a plain 500."""
    host, port = mock.client.server.host, mock.client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    for head in [b"Host: \xff\xfe", b"Host: 127.0.0.1\r\nx-client-request-id: \xed\xa0\x80\xff"]:
        writer.write(b"GET " + TASKS.encode() + b" HTTP/1.1\r\n" + head + b"\r\nAuthorization: " + KEY.encode()
                     + b"\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
        await writer.drain()
        status_line = await reader.readline()
        head_lines = []
        while (line := await reader.readline()) not in (b"\r\n", b""):
            head_lines.append(line.decode("latin-1").strip())
        length = next(int(h.split(":")[1]) for h in head_lines if h.lower().startswith("content-length"))
        body = json.loads(await reader.readexactly(length))
        assert status_line.split()[1] in (b"200", b"400"), (status_line, body)
        assert any(h.lower().startswith("x-request-id:") for h in head_lines)
        assert not any(h.lower().startswith("x-client-request-id:") for h in head_lines)
    writer.close()
    await assert_healthy(mock)


async def test_filter_model_matches_across_aliases_both_ways(mock: Mock) -> None:
    ids = {}
    for name in ("dreamina-seedance-2-0-260128", "doubao-seedance-2-0-260128", "seedance-2-0-260128"):
        ids[name] = (await mock.call("POST", TASKS, json=text_body(name)))[1]["id"]
    await mock.call("POST", TASKS, json=text_body("seedance-1-5-pro-251215"))
    for name in ids:
        found = (await mock.call("GET", f"{TASKS}?filter.model={name}"))[1]["items"]
        assert {t["id"] for t in found} == set(ids.values()), name
    assert (await mock.call("GET", f"{TASKS}?filter.model=no-such-model"))[1]["total"] == 0


# -- media ---------------------------------------------------------------------------------------------


async def media_url(mock: Mock) -> str:
    status, data, _ = await mock.call("POST", TASKS, json=text_body("seedance-1-0-lite-t2v-250428",
                                                                      resolution="480p", frames=29))  # fmt: skip
    assert status == 200, data
    await mock.advance(10)
    return (await mock.call("GET", f"{TASKS}/{data['id']}"))[1]["content"]["video_url"]


async def test_media_ranges_and_forged_parameters(mock: Mock) -> None:
    url = urlsplit(await media_url(mock))
    target = f"{url.path}?{url.query}"
    whole = await (await mock.client.get(target)).read()
    size = len(whole)
    huge = "9" * 30
    for rng in ["bytes=-0", f"bytes={size}-", "bytes=9-3", "bytes=0-1,4-5", "bytes=x-", "items=0-1", f"bytes={huge}-"]:
        resp = await mock.client.get(target, headers={"Range": rng})
        data = await resp.json()
        error = refused(resp.status, data, resp.headers, "/media", code=416)
        assert error["param"] == "Range" and resp.headers["Content-Range"] == f"bytes */{len(whole)}", rng
    resp = await mock.client.get(target, headers={"Range": "bytes=-10"})
    assert resp.status == 206 and await resp.read() == whole[-10:]
    query = dict(part.split("=") for part in url.query.split("&"))
    for forged in [
        {**query, "expires": "²"}, {**query, "expires": "١٢٣"}, {**query, "signature": "é" * 32},
        {**query, "signature": "\u0661" * 32}, {**query, "expires": "9" * 5000}, {"expires": query["expires"]},
    ]:  # fmt: skip
        resp = await mock.client.get(url.path, params=forged)
        refused(resp.status, await resp.json(), resp.headers, "/media", code=403)
    await assert_healthy(mock)


# -- the control plane ---------------------------------------------------------------------------------


async def test_a_cross_site_form_post_cannot_change_state(mock: Mock) -> None:
    await mock.call("POST", TASKS, json=text_body())
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    rule = b'{"status": 500, "times": null}'
    for path, data in [("/_mock/faults", rule), ("/_mock/reset", b""), ("/_mock/clock/advance", b'{"seconds":9}')]:
        status, body, headers = await mock.call("POST", path, data=data, headers=evil)
        assert status in (403, 415) and headers["x-request-id"], body
        # No Origin at all, still text/plain (what a form post or `curl -d` sends): 415.
        status, body, _ = await mock.call("POST", path, data=data, headers={"Content-Type": "text/plain"})
        assert status == 415 and body["error"]["param"] == "Content-Type"
    assert (await mock.call("GET", "/_mock/faults"))[1]["items"] == []
    assert (await mock.call("GET", "/_mock/health"))[1]["tasks"]["total"] == 1
    assert (await mock.call("GET", "/_mock/clock"))[1]["advanced"] == 0


async def test_cross_site_json_is_refused_and_same_origin_is_not(mock: Mock) -> None:
    for headers in [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://localhost:1"}]:  # fmt: skip
        status, body, _ = await mock.call("POST", "/_mock/reset", json={}, headers=headers)
        assert status == 403 and body["error"]["param"] == "Origin", headers
    for headers in [{"Origin": mock.origin}, {"Sec-Fetch-Site": "same-origin", "Origin": mock.origin + "/"}, {}]:
        assert (await mock.call("POST", "/_mock/reset", json={}, headers=headers))[0] == 200, headers
    # Reads are not state changes: a cross-site GET is answered (the browser's CORS keeps it from the page).
    assert (await mock.call("GET", "/_mock/health", headers={"Origin": "http://evil.example"}))[0] == 200


async def test_admin_token_guards_the_control_plane(make_mock) -> None:
    mock = await make_mock(admin_token="s3cret-token")
    for method, path in [("GET", "/_mock/health"), ("POST", "/_mock/reset"), ("GET", "/_mock/requests"),
                         ("GET", f"/_mock/keys/{KEY}"), ("DELETE", "/_mock/faults")]:  # fmt: skip
        for token in (None, "wrong", "s3cret-toke", "s3cret-token\u00e9"):
            headers = {} if token is None else {"X-Admin-Token": token}
            status, body, resp_headers = await mock.call(method, path, headers=headers)
            assert refused(status, body, resp_headers, path, code=401)["param"] == "X-Admin-Token"
        good = {"X-Admin-Token": "s3cret-token"}
        assert (await mock.call(method, path, headers=good))[0] == 200, path
    # The dashboard page (it asks for the token) and the callback receiver are not behind the token; the
    # page's feeds are.
    page = await mock.client.get("/_mock/ui")
    assert page.status == 200 and page.content_type == "text/html"
    assert (await mock.call("GET", "/_mock/tasks"))[0] == 401
    assert (await mock.call("POST", "/_mock/sink/abc", json={}))[0] != 401
    # The API itself does not need it.
    assert (await mock.call("GET", TASKS))[0] == 200


async def test_reading_a_key_does_not_let_it_in(make_mock) -> None:
    mock = await make_mock(api_keys=("sk-allowed-0001",))
    status, acct, _ = await mock.call("GET", "/_mock/keys/sk-intruder-0001")
    assert status == 200 and acct["valid"] is True  # the defaults it would start with
    status, data, headers = await mock.call("GET", TASKS, key="sk-intruder-0001")
    assert status == 401 and assert_contract("gateway.error", data)
    # Registering is a PUT (JSON, same origin, token): then the key works.
    assert (await mock.call("PUT", "/_mock/keys/sk-intruder-0001", json={"balance": 5}))[0] == 200
    assert (await mock.call("GET", TASKS, key="sk-intruder-0001"))[0] == 200
    # A path that is no key shape is refused rather than registered.
    status, data, headers = await mock.call("PUT", "/_mock/keys/" + "k" * 300, json={"balance": 5})
    assert refused(status, data, headers, "/_mock/keys/x")["param"] == "key"


# -- the command line ----------------------------------------------------------------------------------

BAD_OPTIONS = [
    (["--max-body-mb", "0"], "--max-body-mb"), (["--max-body-mb", "-1"], "--max-body-mb"),
    (["--time-scale", "-1"], "--time-scale"), (["--time-scale", "nan"], "--time-scale"),
    (["--time-scale", "inf"], "--time-scale"), (["--port", "65536"], "--port"), (["--port", "-1"], "--port"),
    (["--queue-seconds", "-0.5"], "--queue-seconds"), (["--run-seconds", "1e12"], "--run-seconds"),
    (["--max-running", "0"], "--max-running"), (["--max-queued", "0"], "--max-queued"),
    (["--balance", "-5"], "--balance"), (["--rpm", "0"], "--rpm"), (["--max-tasks", "-1"], "--max-tasks"),
    (["--journal-size", "0"], "--journal-size"), (["--media-ttl", "0"], "--media-ttl"),
    (["--random-seed", "1" + "0" * 30], "--random-seed"), (["--admin-token", "two words"], "--admin-token"),
    (["--admin-token", ""], "--admin-token"), (["--public-url", "mock.local/x?y"], "--public-url"),
    (["--api-key", "sk bad"], "--api-key"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "option"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_cli_refuses_values_out_of_range_with_one_line(argv, option, capsys) -> None:
    assert option in check_args(build_parser().parse_args(argv))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"seedance-mock: {option}")


def test_cli_accepts_the_edges_of_each_range() -> None:
    argv = ["--port", "0", "--time-scale", "0", "--max-body-mb", "1", "--max-tasks", "0", "--balance", "0",
            "--max-running", "1", "--rpm", "1", "--random-seed", "-1", "--admin-token", "t0k3n!",
            "--public-url", "https://mock.example:8443/prefix"]  # fmt: skip
    assert check_args(build_parser().parse_args(argv)) is None
    assert check_args(build_parser().parse_args([])) is None


def test_binding_beyond_loopback_warns_what_is_exposed() -> None:
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"):
        assert exposure_warning(host, None) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "mock.lan", ""):
        text = exposure_warning(host, None)
        assert text and "/_mock/" in text and "--admin-token" in text and "video" in text
    assert "X-Admin-Token" in exposure_warning("0.0.0.0", "t")


def test_mock_server_sends_the_admin_token_for_you(tmp_path) -> None:
    from mock_server.testing import MockServer

    with MockServer(admin_token="tok-123", cache_dir=tmp_path) as mock:
        rule = mock.control("POST", "/_mock/faults", {"status": 503, "times": 1})
        assert rule["status"] == 503 and mock.control("GET", "/_mock/faults")["items"][0]["times"] == 1
        bare = httpx.post(mock.base_url + "/_mock/reset", json={})
        assert bare.status_code == 401 and bare.headers["x-request-id"]
        assert mock.control("POST", "/_mock/reset") == {"status": "reset"}
        assert mock.control("GET", "/_mock/faults")["items"] == []


# -- any JSON at all -----------------------------------------------------------------------------------

_STRINGS = st.text(st.characters(exclude_categories=()), max_size=12) | st.sampled_from(
    ["\ud800", "\udfff", "a\x00b", "é" * 300, "[mock:fail]", "data:image/png;base64,AAAA", ""]
)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _STRINGS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_STRINGS, inner, max_size=4),
    max_leaves=12,
)
_FIELDS = ["model", "content", "seed", "duration", "ratio", "resolution", "safety_identifier", "callback_url",
           "prompt", "images", "text", "image_url", "status", "times", "path", "seconds", "time_scale",
           "balance"]  # fmt: skip
_TARGETS = [("POST", TASKS), ("POST", PREDICT), ("POST", "/_mock/faults"), ("PUT", "/_mock/keys/sk-prop-001"),
            ("POST", "/_mock/clock/advance"), ("PUT", "/_mock/clock")]  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from mock_server.testing import MockServer

    with (
        MockServer(time_scale=0, cache_dir=tmp_path_factory.mktemp("media")) as mock,
        httpx.Client(base_url=mock.base_url, headers={"Authorization": f"Bearer {KEY}"}) as http,
    ):
        yield http


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    target=st.sampled_from(_TARGETS),
    base=st.sampled_from([text_body(), {"prompt": "a cat"}, {"status": 500}, {"seconds": 1}, {}]),
    field=st.sampled_from(_FIELDS),
    value=_VALUES,
    whole=st.booleans(),
)
def test_any_json_answers_below_500_and_leaves_the_server_healthy(served, target, base, field, value, whole) -> None:
    method, path = target
    body = value if whole else {**base, field: value}
    resp = served.request(method, path, content=json.dumps(body).encode(), headers=JSON)
    assert resp.status_code < 500, resp.text[:300]
    assert resp.headers["x-request-id"] and resp.headers["content-type"].startswith("application/json")
    resp.json()
    # A fault rule the example added would answer the checks below as asked: list it, then drop it.
    assert served.get("/_mock/faults").status_code == 200
    assert served.delete("/_mock/faults", headers=JSON).status_code == 200
    for check in (TASKS, "/_mock/requests", "/_mock/health"):
        answer = served.get(check)
        assert answer.status_code == 200, answer.text[:300]
        answer.json()
