"""The /_mock/ui dashboard in a real headless Chromium (Debian's, driven by Playwright's Python API).

One browser and one tab per module, so per xdist worker; each test gets its own server (port 0, frozen clock)
and starts from a blank tab (no routes, no admin token in its session storage). The run also writes the README's
screenshot, docs/dashboard.png.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

# Imported here, in the tests' thread: the server renders media on its own threads and imports numpy there the
# first time, and pytest.approx reads numpy from sys.modules, half-imported then (AttributeError: isscalar).
import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from client._base import tls_context  # noqa: E402
from mock_server.testing import MockServer  # noqa: E402

# Flags the machine notes give for Chromium on a closed network: no background calls home, no sandbox as root.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = "sk-dashboard-test-0001"
OTHER_KEY = "sk-dashboard-other-0002"
ARK_TASKS = "/api/v3/contents/generations/tasks"
MODEL = "dreamina-seedance-2-0-260128"
FAST = "doubao-seedance-2-0-fast-260128"
#: Waits for the page; generous so a loaded CI machine does not flake.
WAIT_MS = 15_000
#: How often the page polls the server, on a timer (POLL_MS in mock_server/static/ui.js).
POLL_MS = 1000
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def mock(media_dir: Path) -> Iterator[MockServer]:
    # A fixed start and seed: the same ids and times on every run, so the screenshot only changes with the page.
    with MockServer(
        time_scale=0, queue_seconds=1, run_seconds=3, random_seed=16, start_time=1_790_000_000, cache_dir=media_dir
    ) as server:
        yield server


def until(page: Page, expression: str, timeout_ms: int = WAIT_MS) -> None:
    """Wait until ``expression`` is truthy in the page. Playwright's ``wait_for_function`` evaluates its
    predicate with ``eval`` inside the page, which the dashboard's Content-Security-Policy rightly refuses;
    ``page.evaluate`` goes through the debugging protocol instead."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"not true within {timeout_ms} ms: {expression}")


@pytest.fixture(scope="module")
def tab(browser: Browser) -> Iterator[Page]:
    """The module's one tab, on Playwright's fake clock: time runs as usual unless :func:`next_poll` moves it on.
    A new context and page for every test cost 0.3-0.5 s of browser work; :func:`page` clears the tab instead."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        shared = context.new_page()
        shared.clock.install()
        yield shared
    finally:
        context.close()


@pytest.fixture
def page(tab: Page) -> Iterator[Page]:
    """The tab for one test. Afterwards nothing of the test stays in it: not its routes, not the session
    storage of the origin it showed (the admin token), not its document (which would go on polling)."""
    yield tab
    tab.unroute_all(behavior="ignoreErrors")
    if tab.url.startswith("http"):
        tab.evaluate("sessionStorage.clear()")
    tab.goto("about:blank")


def api(mock: MockServer, key: str = KEY) -> httpx.Client:
    # One shared TLS context (tls_context): building one per client loads the CA bundle, 0.1 s each.
    return httpx.Client(
        base_url=mock.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30, verify=tls_context()
    )


def create_ark(client: httpx.Client, prompt: str = "a fox in the snow", **extra: Any) -> str:
    # ratio 16:9: a text-only 2.x task would otherwise have a ratio the model picks [FIDELITY §5].
    body = {"model": MODEL, "content": [{"type": "text", "text": prompt}], "resolution": "480p", "duration": 4,
            "ratio": "16:9", **extra}  # fmt: skip
    answer = client.post(ARK_TASKS, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def create_prediction(client: httpx.Client, prompt: str = "a heron takes off") -> str:
    answer = client.post(f"/api/v3/bytedance/{FAST}/text-to-video", json={"prompt": prompt, "resolution": "480p"})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["id"]


def row(page: Page, task_id: str, status: str) -> str:
    return f'#tasks tr[data-id="{task_id}"][data-status="{status}"]'


def open_ui(page: Page, mock: MockServer) -> None:
    # Its script has run (the controls work) at DOMContentLoaded; "load" would also wait for posters and images.
    page.goto(mock.base_url + "/_mock/ui", wait_until="domcontentloaded")


def next_poll(page: Page) -> None:
    """Bring the page's next poll forward instead of waiting up to a second for it: the page polls on its own
    timer, which runs on the tab's fake clock, so the timer fires now. A poll already in flight may have read
    the state before the change; it then sets the next timer, which fires a second later, as without a fake
    clock."""
    page.clock.fast_forward(POLL_MS)


def test_the_page_lists_every_task_with_its_status(mock: MockServer, page: Page) -> None:
    with api(mock) as one, api(mock, OTHER_KEY) as other:
        first = create_ark(one)
        mock.advance(1)  # first starts running
        second = create_prediction(other)
    open_ui(page, mock)
    page.wait_for_selector(row(page, first, "running"), timeout=WAIT_MS)
    page.wait_for_selector(row(page, second, "queued"), timeout=WAIT_MS)
    ids = page.eval_on_selector_all("#tasks tbody tr", "rows => rows.map(r => r.dataset.id)")
    assert ids == [second, first]  # newest first
    text = page.inner_text("#tasks")
    assert "sk-…0001" in text and "sk-…0002" in text and KEY not in page.content()  # keys redacted
    assert "queued (created)" in text  # the predictions family's own word beside the status


def test_a_status_change_appears_without_a_reload(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        task_id = create_ark(client)
    open_ui(page, mock)
    page.wait_for_selector(row(page, task_id, "queued"), timeout=WAIT_MS)
    page.evaluate("window.__same_document = true")
    mock.advance(4)
    next_poll(page)
    page.wait_for_selector(row(page, task_id, "succeeded"), timeout=WAIT_MS)
    assert page.evaluate("window.__same_document") is True  # no navigation happened


def test_filters_narrow_the_list_by_status_model_and_key(mock: MockServer, page: Page) -> None:
    with api(mock) as one, api(mock, OTHER_KEY) as other:
        ark_id = create_ark(one)
        prediction_id = create_prediction(other)
    open_ui(page, mock)
    page.wait_for_selector(row(page, prediction_id, "queued"), timeout=WAIT_MS)
    page.select_option("#filter-key", "sk-…0002")
    page.wait_for_selector(f'#tasks tr[data-id="{ark_id}"]', state="detached", timeout=WAIT_MS)
    assert page.is_visible(row(page, prediction_id, "queued"))
    # A change polls at once, but one made while a poll is in flight shows only with the next poll, a second
    # later: each filter is cleared, and the list whole again, before the next is set.
    page.select_option("#filter-key", "")
    page.wait_for_selector(row(page, ark_id, "queued"), timeout=WAIT_MS)
    page.select_option("#filter-model", MODEL)
    page.wait_for_selector(f'#tasks tr[data-id="{prediction_id}"]', state="detached", timeout=WAIT_MS)
    page.wait_for_selector(row(page, ark_id, "queued"), timeout=WAIT_MS)
    page.select_option("#filter-model", "")
    page.wait_for_selector(row(page, prediction_id, "queued"), timeout=WAIT_MS)
    page.select_option("#filter-status", "succeeded")
    page.wait_for_selector("#tasks-empty", state="visible", timeout=WAIT_MS)


def test_the_video_of_a_succeeded_task_plays(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        task_id = create_ark(client, return_last_frame=True)
    mock.advance(4)
    open_ui(page, mock)
    page.click(row(page, task_id, "succeeded"))
    page.wait_for_selector("#player", timeout=WAIT_MS)
    # Debian's Chromium decodes H.264 (it is built with the proprietary codecs): the mock's MP4s play as they are.
    assert page.evaluate("document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')") != ""
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const v = document.querySelector('#player');
            const done = () => resolve(v.duration);
            if (v.readyState >= 1) done();
            v.addEventListener('loadedmetadata', done);
            v.addEventListener('error', () => reject(new Error('video error ' + (v.error && v.error.code))));
        })"""
    )
    assert duration == pytest.approx(4 + 1 / 24, abs=0.1)  # 4 s at 24 fps, plus the first frame
    played = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const v = document.querySelector('#player');
            v.muted = true;
            v.addEventListener('timeupdate', () => { if (v.currentTime > 0) resolve(v.currentTime); });
            v.play().catch(reject);
        })"""
    )
    assert played > 0
    until(page, "document.querySelector('#last-frame').naturalWidth > 0")
    assert page.evaluate("document.querySelector('#last-frame').naturalWidth") == 864  # 480p 16:9 [seed table]


def test_advancing_the_clock_from_the_page_moves_the_api(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        task_id = create_ark(client)
        open_ui(page, mock)
        page.wait_for_selector(row(page, task_id, "queued"), timeout=WAIT_MS)
        before = client.get("/_mock/clock").json()["now"]
        page.fill("#advance-seconds", "4")
        page.click("#advance")
        page.wait_for_selector(row(page, task_id, "succeeded"), timeout=WAIT_MS)
        assert client.get("/_mock/clock").json()["now"] == pytest.approx(before + 4, abs=1e-3)  # default: ±30 min
        assert client.get(f"{ARK_TASKS}/{task_id}").json()["status"] == "succeeded"


def test_freeze_resume_and_finish_all_from_the_page(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        ids = [create_ark(client, f"clip {i}") for i in range(12)]  # two rounds of 10 running at once
        open_ui(page, mock)
        page.wait_for_selector(row(page, ids[-1], "queued"), timeout=WAIT_MS)
        page.click("#finish")
        succeeded = page.locator('#tasks tr[data-status="succeeded"]')
        expect(succeeded).to_have_count(len(ids), timeout=WAIT_MS)
        assert sorted(succeeded.evaluate_all("rows => rows.map(r => r.dataset.id)")) == sorted(ids)
        listed = client.get(ARK_TASKS, params={"page_size": 50}).json()["items"]
        assert {t["status"] for t in listed} == {"succeeded"}
        page.fill("#scale", "2")
        page.click("#set-scale")
        page.wait_for_selector("#clock-scale:text('×2')", timeout=WAIT_MS)
        assert client.get("/_mock/clock").json()["time_scale"] == 2
        page.click("#freeze")
        page.wait_for_selector("#clock-scale:text('frozen')", timeout=WAIT_MS)
        assert client.get("/_mock/clock").json()["time_scale"] == 0
        page.click("#resume")
        page.wait_for_selector("#clock-scale:text('×2')", timeout=WAIT_MS)
        assert client.get("/_mock/clock").json()["time_scale"] == 2


def test_a_fault_rule_added_from_the_page_takes_effect(mock: MockServer, page: Page) -> None:
    open_ui(page, mock)
    page.click("#tabs button[data-tab=faults]")
    page.select_option("#fault-form select[name=method]", "POST")
    page.fill("#fault-form input[name=path]", ARK_TASKS)
    page.fill("#fault-form input[name=status]", "503")
    page.fill("#fault-form input[name=times]", "1")
    page.click("#fault-form button[type=submit]")
    page.wait_for_selector("#faults tr[data-rule]", timeout=WAIT_MS)
    with api(mock) as client:
        body = {"model": MODEL, "content": [{"type": "text", "text": "x"}]}
        assert client.post(ARK_TASKS, json=body).status_code == 503
        assert client.post(ARK_TASKS, json=body).status_code == 200  # times=1: used up
        next_poll(page)
        page.wait_for_selector("#faults tr[data-rule]", state="detached", timeout=WAIT_MS)
        mock.add_fault(path="/api/*", status=500, times=None)
        next_poll(page)
        page.wait_for_selector("#faults tr[data-rule]", timeout=WAIT_MS)
        page.click("#clear-faults")
        page.wait_for_selector("#faults tr[data-rule]", state="detached", timeout=WAIT_MS)
        assert client.get("/_mock/faults").json()["items"] == []


def test_key_settings_and_reset_from_the_page(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        task_id = create_ark(client)
        open_ui(page, mock)
        page.wait_for_selector(row(page, task_id, "queued"), timeout=WAIT_MS)
        page.click("#tabs button[data-tab=keys]")
        page.fill("#key-form input[name=key]", KEY)
        page.fill("#key-form input[name=balance]", "0")
        page.fill("#key-form input[name=rpm]", "5")
        page.click("#key-form button[type=submit]")
        page.wait_for_selector("#key-result:text('\"rpm\": 5')", timeout=WAIT_MS)
        assert client.get(f"/_mock/keys/{KEY}").json()["balance"] == 0
        refused = client.post(ARK_TASKS, json={"model": MODEL, "content": [{"type": "text", "text": "x"}]})
        assert refused.status_code == 403
        page.click("#reset")
        page.click("#reset")  # the second click confirms
        page.click("#tabs button[data-tab=tasks]")
        page.wait_for_selector(f'#tasks tr[data-id="{task_id}"]', state="detached", timeout=WAIT_MS)
        assert client.get(f"{ARK_TASKS}/{task_id}").status_code == 404
        assert client.get(f"/_mock/keys/{KEY}").json()["balance"] > 0


def test_a_tasks_callback_deliveries_are_listed_and_nothing_shows_without_the_endpoint(
    mock: MockServer, page: Page
) -> None:
    with api(mock) as client:
        task_id = create_ark(client, callback_url="http://127.0.0.1:9/hook")
    mock.advance(4)
    open_ui(page, mock)
    page.click(row(page, task_id, "succeeded"))
    if httpx.get(mock.base_url + "/_mock/callbacks").status_code == 404:
        # A server without GET /_mock/callbacks: the page shows nothing for it.
        page.wait_for_selector("#callbacks[data-state=unavailable]", state="attached", timeout=WAIT_MS)
        assert page.inner_html("#callbacks") == ""

    # The record shape of GET /_mock/callbacks (issue 12): one row per attempt.
    attempt = {"task_id": task_id, "kind": "callback", "url": "http://127.0.0.1:9/hook", "event": "succeeded"}
    items = [
        {**attempt, "seq": 1, "attempt": 1, "outcome": "error", "status_code": 500, "error": None},
        {**attempt, "seq": 2, "attempt": 2, "outcome": "delivered", "status_code": 200, "error": None},
    ]
    page.route(
        re.compile(r".*/_mock/callbacks\?.*"),
        lambda route: route.fulfill(status=200, content_type="application/json", json={"total": 2, "items": items}),
    )
    page.reload()
    page.click(row(page, task_id, "succeeded"))
    page.wait_for_selector("#callbacks table tbody tr:nth-child(2)", timeout=WAIT_MS)
    cells = page.eval_on_selector_all("#callbacks tbody tr", "rows => rows.map(r => r.innerText)")
    assert "500" in cells[0] and "error" in cells[0] and "delivered" in cells[1]
    assert "Callbacks (2)" in page.inner_text("#callbacks summary")


def test_the_journal_shows_requests_and_their_bodies(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        create_ark(client, "a lighthouse at dusk")
        assert client.get(f"{ARK_TASKS}/cgt-nope").status_code == 404
    open_ui(page, mock)
    page.click("#tabs button[data-tab=journal]")
    page.wait_for_selector("#journal tbody tr", timeout=WAIT_MS)
    rows = page.eval_on_selector_all("#journal tbody tr", "rows => rows.map(r => r.innerText)")
    assert "404" in rows[0] and "cgt-nope" in rows[0]  # newest first
    assert "POST" in rows[1] and "200" in rows[1]
    page.click("#journal tbody tr:nth-child(2)")
    page.wait_for_selector("#journal-detail pre:text('a lighthouse at dusk')", timeout=WAIT_MS)


def test_the_page_asks_once_for_the_admin_token_and_sends_it(mock: MockServer, page: Page) -> None:
    """The --admin-token convention, enforced here by the browser so the page is tested on its own."""
    token = "t0ken-for-the-test"
    seen: list[str | None] = []

    def guard(route: Any) -> None:
        sent = route.request.headers.get("x-admin-token")
        seen.append(sent)
        if sent != token:
            route.fulfill(status=401, content_type="application/json", body='{"error":{"message":"admin token"}}')
        else:
            route.continue_()

    page.route(re.compile(r".*/_mock/(?!ui$).*"), guard)
    with api(mock) as client:
        task_id = create_ark(client)
    open_ui(page, mock)
    page.wait_for_selector("#token-form", state="visible", timeout=WAIT_MS)
    assert page.query_selector(f'#tasks tr[data-id="{task_id}"]') is None
    page.fill("#token-input", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_selector(row(page, task_id, "queued"), timeout=WAIT_MS)
    page.fill("#advance-seconds", "4")
    page.click("#advance")
    page.wait_for_selector(row(page, task_id, "succeeded"), timeout=WAIT_MS)
    assert page.is_hidden("#token-form")
    assert page.evaluate("sessionStorage.getItem('seedance-mock-admin-token')") == token
    assert seen.count(None) >= 1 and set(seen) == {None, token}  # asked once, then always sent


def test_under_a_real_admin_token_the_page_asks_once_and_its_controls_work(media_dir: Path, page: Page) -> None:
    token = "s3cret-admin-token"
    with MockServer(time_scale=0, admin_token=token, cache_dir=media_dir) as mock, api(mock) as client:
        task_id = create_ark(client)
        open_ui(page, mock)  # the page itself needs no token
        page.wait_for_selector("#token-form", state="visible", timeout=WAIT_MS)
        page.fill("#token-input", token)
        page.click("#token-form button[type=submit]")
        page.wait_for_selector(row(page, task_id, "queued"), timeout=WAIT_MS)
        page.fill("#advance-seconds", "4")
        page.click("#advance")
        page.wait_for_selector(row(page, task_id, "succeeded"), timeout=WAIT_MS)
        assert client.get(f"{ARK_TASKS}/{task_id}").json()["status"] == "succeeded"
        assert page.is_hidden("#token-form")


def test_the_dom_shows_every_task_id_status_and_a_video(mock: MockServer, page: Page) -> None:
    with api(mock) as client:
        ids = [create_ark(client, f"clip {i}") for i in range(3)]
        mock.advance(4)
        ids.append(create_prediction(client))
    open_ui(page, mock)
    expect(page.locator("#tasks tbody tr")).to_have_count(len(ids), timeout=WAIT_MS)  # one poll renders them all
    # The serialised DOM, as `chromium --dump-dom` prints it (a second Chromium for that cost a second of CPU).
    dom = page.content()
    statuses = dict(re.findall(r'<tr data-id="(cgt-[\w-]+)" data-status="(\w+)"', dom))
    assert statuses == {ids[0]: "succeeded", ids[1]: "succeeded", ids[2]: "succeeded", ids[3]: "queued"}
    assert re.search(r'<video class="mini" src="http://127\.0\.0\.1:\d+/media/', dom)


def _same_picture(old: bytes, new: bytes) -> bool:
    """Whether two screenshots show the same page: a few anti-aliased pixels that differ from run to run are
    rendering noise, not a change worth a new docs/dashboard.png in git."""
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16) for png in (old, new))
    return a.shape == b.shape and int((np.abs(a - b).sum(axis=2) > 0).sum()) < 200


def write_screenshot(page: Page) -> None:
    """Write docs/dashboard.png, unless it already shows the page. A picture that differs is taken again after a
    second, as it always was: the page changed, or a poster or the player's spinner was still on its way (the
    spinner fades out a moment after the player's data arrived; neither is visible to the page's script)."""
    old = SCREENSHOT.read_bytes() if SCREENSHOT.exists() else None
    if old is not None and _same_picture(old, page.screenshot()):
        return
    page.wait_for_timeout(1000)  # cosmetic only, see above
    shot = page.screenshot()
    if old is None or not _same_picture(old, shot):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot)


def _png(width: int, height: int) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 3, height // 4, 2 * width // 3, 3 * height // 4), fill=(240, 180, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_a_task_detail_shows_the_request_with_a_thumbnail_and_writes_the_screenshot(
    mock: MockServer, page: Page
) -> None:
    with api(mock) as client, api(mock, OTHER_KEY) as other:
        image = {"type": "image_url", "image_url": {"url": _png(640, 360)}}
        body = {
            "model": MODEL,
            "content": [{"type": "text", "text": "the sun rises over the bay"}, image],
            "resolution": "480p",
            "duration": 4,
            "return_last_frame": True,
        }
        answer = client.post(ARK_TASKS, json=body)
        assert answer.status_code == 200, answer.text
        shown = answer.json()["id"]
        create_ark(client, "a paper boat [mock:fail]")
        create_prediction(other, "a heron takes off")
        mock.advance(4)
        create_ark(other, "rain on a window")
        mock.advance(1)
        create_prediction(client, "a city at night")
        create_ark(client, "a slow pan over a desert")
    open_ui(page, mock)
    page.click(row(page, shown, "succeeded"))
    page.wait_for_selector("#detail .datauri img", timeout=WAIT_MS)
    chip = page.inner_text("#detail .datauri")
    assert "data:image/png" in chip and "640×360" in chip
    assert "the sun rises over the bay" in page.inner_text("#detail")
    until(page, "document.querySelector('#detail .datauri img').complete")
    assert page.evaluate("document.querySelector('#detail .datauri img').naturalWidth") == 160
    until(
        page,
        """() => document.querySelector('#player').readyState >= 4 && document.querySelector('#last-frame').complete
            && Array.from(document.querySelectorAll('video.mini')).every(v => v.poster)""",
    )
    # Show a frame from the middle of the clip, with the player idle (no loading spinner in the picture).
    page.evaluate(
        """() => new Promise((resolve) => {
            const v = document.querySelector('#player');
            v.addEventListener('seeked', resolve, { once: true });
            v.currentTime = 2;
        })"""
    )
    until(page, "document.querySelector('#player').networkState !== 2")
    write_screenshot(page)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
