"""The mock's state and the domain operations both API families share (create, read, signed media URLs)."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import string
import time
from dataclasses import dataclass, field

from aiohttp import web

import contracts
from mock_server.accounts import Accounts
from mock_server.callbacks import Deliveries, check_url, webhook_secret
from mock_server.clock import Clock
from mock_server.config import MockConfig
from mock_server.durable import Durable
from mock_server.errors import ApiError
from mock_server.faults import Faults
from mock_server.journal import Journal
from mock_server.media import MediaCache, MediaSpec, default_cache_dir
from mock_server.render import ingest_image
from mock_server.store import Task, TaskSpec, TaskStore

_ID_CHARS = string.digits + string.ascii_lowercase
#: Signed URLs remembered per task (kind × origin); more origins than this (Host headers) start afresh.
_MAX_URLS_PER_TASK = 8


@dataclass
class MockState:
    """Everything one mock server instance holds; lives under :data:`STATE` on the aiohttp app."""

    config: MockConfig
    clock: Clock
    store: TaskStore
    accounts: Accounts
    faults: Faults
    journal: Journal
    rng: random.Random
    media: MediaCache
    deliveries: Deliveries
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    journal_seq: int = 0
    #: The state file (``--state``), None when the mock keeps everything in memory only.
    durable: Durable | None = None
    #: (mock second, its YYYYMMDDHHMMSS) for request ids, formatted once per second.
    stamp: tuple[int, str] = (-1, "")

    @classmethod
    def build(cls, config: MockConfig) -> MockState:
        """Fresh state for ``config``, or what its state file holds (:class:`StateFileError` when the file
        cannot be used)."""
        accounts = Accounts(
            default_balance=config.default_balance, default_rpm=config.default_rpm, api_keys=config.api_keys
        )

        def charge(task: Task) -> None:
            # A succeeded task is paid for with its completion tokens [issue 3: balance per succeeded task].
            if task.status == "succeeded":
                accounts.charge(task.key, usage(task.spec))

        store = TaskStore(
            queue_seconds=config.queue_seconds,
            run_seconds=config.run_seconds,
            max_running_per_key=config.max_running_per_key,
            max_running_4k_per_key=config.max_running_4k_per_key,
            on_finished=charge,
            max_tasks=config.max_tasks,
        )
        clock = Clock(config.time_scale, start=config.start_time)
        faults = Faults()
        deliveries = Deliveries(config, clock, faults)
        store.on_change = deliveries.changed
        state = cls(
            config=config,
            clock=clock,
            store=store,
            accounts=accounts,
            faults=faults,
            journal=Journal(config.journal_size, int(config.journal_mb * 2**20)),
            rng=random.Random(config.random_seed),
            media=_media_cache(config),
            deliveries=deliveries,
        )
        if config.state is not None:
            durable = Durable.open(config.state)
            # Same secret, same signed URLs and webhook secrets as before the restart.
            state.secret = durable.secret
            state.durable = durable
            durable.attach(state)
        return state

    # -- time ------------------------------------------------------------------------------------------
    def now(self) -> float:
        """Current mock time."""
        return self.clock.now()

    def settle(self) -> float:
        """Apply every transition due by now, and forget the records past their retention; returns now."""
        now = self.clock.now()
        self.store.settle(now)
        # Tasks are seen for 7 days after creation; a cancelled one for 24 h [FIDELITY §9].
        self.store.purge(now, self.config.retention_seconds, self.config.cancelled_retention_seconds)
        return now

    def reset(self) -> None:
        """Forget tasks, accounts, faults and the journal (the clock keeps going: time never runs back)."""
        self.store.reset()
        self.deliveries.reset()
        self.accounts.reset()
        self.faults.clear()
        self.journal.clear()
        if self.durable is not None:
            self.durable.vacuum()  # the state file forgets them too, down to its bytes

    # -- tasks -----------------------------------------------------------------------------------------
    def new_id(self, now: float, *, flex: bool = False) -> str:
        """A fresh id shaped like upstream's, ``cgt-YYYYMMDDHHMMSS-xxxxx`` [UPSTREAM §2], or
        ``cgt-batch-YYYYMMDDHHMMSS-xxxxx`` for a flex-tier task [FIDELITY §2]."""
        stamp = ("batch-" if flex else "") + time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
        while True:
            n = self.rng.getrandbits(26) % 36**5  # five base-36 characters from one draw
            suffix = ""
            for _ in range(5):
                n, digit = divmod(n, 36)
                suffix += _ID_CHARS[digit]
            task_id = f"cgt-{stamp}-{suffix}"
            if task_id not in self.store:
                return task_id

    def submit(
        self,
        key: str,
        family: str,
        op: str,
        spec: TaskSpec,
        *,
        immediate: bool = False,
        origin: str = "",
        webhook: tuple[str, str, object] | None = None,
    ) -> Task:
        """Admit a create: model permission, balance, queue quota; then schedule the task.

        ``origin`` is where media URLs in callbacks point; ``webhook`` is a predictions webhook as
        (url, the field that named it, the input to echo).
        """
        allow = self.config.callback_allow
        if spec.callback_url is not None:
            check_url(spec.callback_url, allow, "callback_url")
        if webhook is not None:
            check_url(webhook[0], allow, webhook[1])
        model = contracts.lookup_model(spec.model_id)
        assert model is not None
        self.accounts.check_model(key, spec.model_id, model.names)
        self.accounts.check_balance(key, usage(spec))
        if self.store.queued_count(key) >= self.config.max_queued_per_key:
            # More than 120 queued tasks for one key → 429 QuotaExceeded [UPSTREAM §2 catalogue].
            raise ApiError(
                429,
                "QuotaExceeded",
                f"Too many queued tasks: at most {self.config.max_queued_per_key} may wait at once.",
                headers={"Retry-After": str(max(1, round(self.config.run_seconds)))},
            )
        now = self.now()
        flex = spec.service_tier == "flex"
        # Flex has no latency guarantee: it waits much longer queued [FIDELITY §2].
        wait = self.config.queue_seconds + (self.config.flex_queue_seconds if flex else 0.0)
        task = Task(
            id=self.new_id(now, flex=flex),
            key=key,
            family=family,
            op=op,
            spec=spec,
            created_at=now,
            updated_at=now,
            ready_at=now + wait,
        )
        if spec.callback_url is not None:
            self.deliveries.watch(task, "callback", spec.callback_url, origin)
        elif webhook is not None:
            secret = webhook_secret(self.secret, key)
            self.deliveries.watch(task, "webhook", webhook[0], origin, secret=secret, input=webhook[2])
        self.store.create(task, immediate=immediate)
        self.store.settle(now)
        self.deliveries.wake()  # the lifecycle driver plans its sleep around the new task
        return task

    def webhook_secret(self, key: str) -> str:
        """``key``'s webhook signing secret (``whsec_…``), stable for the server's life [UPSTREAM §7]."""
        return webhook_secret(self.secret, key)

    def owned_task(self, key: str, task_id: str) -> Task:
        """The caller's task ``task_id``, or a 404 (tasks are private to the key that made them)."""
        task = self.store.get(task_id)
        if task is None or task.key != key:
            raise ApiError(
                404, "NotFound", f"The specified task {task_id} is not found.", "id"
            )
        return task

    def draft_spec(self, key: str, task_id: str) -> TaskSpec:
        """The spec of the caller's succeeded draft ``task_id``, for a final made from it [FIDELITY §5]."""
        param = "content[0].draft_task.id"
        task = self.store.get(task_id)
        if task is None or task.key != key:
            shown = task_id if len(task_id) <= 80 else task_id[:77] + "..."  # ids come from the caller
            raise ApiError(404, "NotFound", f"The specified draft task {shown} is not found.", param)
        if not task.spec.draft:
            raise ApiError(400, "InvalidParameter", f"The task {task_id} is not a draft task.", param)
        if task.status != "succeeded":
            raise ApiError(
                400, "InvalidParameter", f"The draft task {task_id} is {task.status}, not succeeded.", param
            )
        return task.spec

    # -- media -----------------------------------------------------------------------------------------
    def ingest_image(self, url: str) -> str:
        """The reference a create keeps for an input image: a data: image's small copy is stored in the media
        cache, by digest (blocking when ``url`` is a data: URI: call it off the loop) [FIDELITY §11]."""
        return ingest_image(url, self.media.directory)

    def _signature(self, name: str, expires: int) -> str:
        return hmac.new(self.secret, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def media_url(self, origin: str, task: Task, kind: str) -> str:
        """A signed URL on this server for the task's video (``mp4``) or last frame (``png``).

        The video of a task that asked ``output_format: "mov"`` is a QuickTime ``.mov`` [FIDELITY §11].

        Like upstream's signed URLs it expires ``media_ttl_seconds`` (24 h) after the task finished [issue 4]
        and outlives a deleted task record. Computed once per task, kind and origin.
        """
        if kind == "mp4" and task.spec.output_format == "mov":
            kind = "mov"
        urls = task.urls if task.urls is not None else {}
        url = urls.get((kind, origin))
        if url is None:
            spec = media_spec(task)
            name = f"{spec.key}.{kind}"
            expires = int((task.finished_at or task.updated_at) + self.config.media_ttl_seconds)
            url = f"{origin}/media/{name}?expires={expires}&signature={self._signature(name, expires)}"
            if spec.token:
                # What the name's digest stands for (ids, prompt, image references): the file can be
                # rendered from the URL alone, after the task record is gone [FIDELITY §11].
                url += f"&spec={spec.token}"
            if len(urls) >= _MAX_URLS_PER_TASK:
                urls.clear()  # one entry per Host a client made up: recomputing is cheap, growing is not
            urls[(kind, origin)] = url
            task.urls = urls
        return url

    def signed_media_url(self, origin: str, media: MediaSpec, kind: str, expires: int) -> str:
        """A signed URL on this server for ``media`` (a replayed recording's video, issue 14)."""
        name = f"{media.key}.{kind}"
        url = f"{origin}/media/{name}?expires={expires}&signature={self._signature(name, expires)}"
        return f"{url}&spec={media.token}" if media.token else url  # [FIDELITY §11]

    def check_media(
        self, name: str, expires: str | None, signature: str | None, token: str | None = None
    ) -> MediaSpec:
        """The spec behind a media URL, or 403/404 when the URL is forged, altered or expired.

        The signature covers the name; the name ends in a digest of the ``spec`` token, so an altered token
        does not match it (404)."""
        if not expires or not signature or not expires.isdigit():
            raise ApiError(403, "AccessDenied", "This media URL is not signed.")
        if not hmac.compare_digest(self._signature(name, int(expires)), signature):
            raise ApiError(403, "AccessDenied", "The media URL signature does not match.")
        if self.now() > int(expires):
            raise ApiError(
                403,
                "AccessDenied",
                "Request has expired: media URLs are valid for 24 hours after the task finished.",
            )
        stem = name.rpartition(".")[0]
        try:
            return MediaSpec.from_key(stem, token)
        except ValueError:
            raise ApiError(404, "NotFound", f"No media called {name}.") from None


def _media_cache(config: MockConfig) -> MediaCache:
    """The media cache, bounded by ``--cache-max-mb``, indexed and rid of stale temporaries at start."""
    cache = MediaCache(config.cache_dir or default_cache_dir(), max_bytes=config.cache_max_mb * 2**20)
    cache.open()
    return cache


def media_spec(task: Task) -> MediaSpec:
    """What the task's video and last frame show: its size, frames, audio and seed, and the request (task
    id, model, resolution, prompt excerpt, input images) for the caption and the pictures [FIDELITY §11]."""
    s = task.spec
    return MediaSpec(
        s.width, s.height, s.frame_count, s.audio, s.seed,
        task_id=task.id[:64], model=s.model[:128], resolution=s.resolution[:16], prompt=s.prompt_excerpt[:160],
        scenario=s.scenario, images=s.images,
    )  # fmt: skip


def usage(spec: TaskSpec) -> int:
    """Completion tokens of a task [UPSTREAM §2: w × h × (24 × duration + 1) / 1024]."""
    return contracts.token_usage(spec.width, spec.height, frames=spec.frame_count)


def origin(request: web.Request, config: MockConfig) -> str:
    """The absolute origin the caller reached us on (or ``--public-url``)."""
    if config.public_url:
        return config.public_url.rstrip("/")
    return f"{request.scheme}://{request.host}"


STATE = web.AppKey("seedance_mock_state", MockState)
