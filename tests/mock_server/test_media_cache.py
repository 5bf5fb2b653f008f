"""The media cache on disk is bounded: least recently used files go, renders in flight never [issue 10]."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from mock_server import MockConfig, create_app, media
from mock_server.media import STALE_TEMPORARY_SECONDS, MediaCache, MediaSpec
from mock_server.state import STATE


def spec(seed: int) -> MediaSpec:
    return MediaSpec(16, 16, 2, False, seed)


async def test_least_recently_used_files_are_evicted_beyond_the_cap(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path, keep_recent=0)
    a, b, c = [await cache.ensure_video(spec(seed)) for seed in (1, 2, 3)]
    await cache.ensure_video(spec(1))  # a is used again: b is now the least recently used
    total = sum(p.stat().st_size for p in (a, b, c))
    assert cache.size == total
    cache.max_bytes = total - 1
    d = await cache.ensure_video(spec(4))
    assert not b.exists()  # the least recently used went first
    assert a.exists() and d.exists()  # recently used and newest kept
    assert cache.size <= cache.max_bytes and cache.evictions >= 1
    assert cache.size == sum(p.stat().st_size for p in tmp_path.iterdir())
    # An evicted file is rendered again when asked for.
    assert (await cache.ensure_video(spec(2))).exists() and cache.renders == 5


async def test_the_newest_file_stays_even_when_alone_over_the_cap(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path, max_bytes=1, keep_recent=0)
    for seed in range(3):
        path = await cache.ensure_video(spec(seed))
        assert path.exists()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


async def test_recently_handed_out_files_are_kept_for_their_downloads(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path, max_bytes=1, keep_recent=60)
    paths = [await cache.ensure_video(spec(seed)) for seed in range(3)]
    assert all(p.exists() for p in paths)  # over the cap, but each may be being downloaded right now
    cache.keep_recent = 0
    await cache.ensure_video(spec(9))
    assert not any(p.exists() for p in paths)


async def test_a_render_in_flight_is_never_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    started = threading.Event()
    real = media.render_video

    def render(s: MediaSpec, path: Path) -> Path:
        if s.seed == 2:  # the slow one: its temporary exists while other renders finish and evict
            tmp = Path(path).with_name(f".{Path(path).name}.x.tmp.mp4")
            tmp.write_bytes(b"half")
            started.set()
            gate.wait(30)
            tmp.write_bytes(b"\0" * 1000)
            os.replace(tmp, path)
            return Path(path)
        return real(s, path)

    monkeypatch.setattr(media, "render_video", render)
    cache = MediaCache(tmp_path, max_bytes=1, keep_recent=0)
    first = await cache.ensure_video(spec(1))
    slow = asyncio.ensure_future(cache.ensure_video(spec(2)))
    await asyncio.to_thread(started.wait, 30)
    temporaries = [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert len(temporaries) == 1
    third = await cache.ensure_video(spec(3))  # over the cap: evicts, but not what is being made
    assert not first.exists() and third.exists() and temporaries[0].exists()
    MediaCache(tmp_path, max_bytes=1).open()  # another server starting on the directory: a fresh temporary stays
    assert temporaries[0].exists()
    gate.set()
    made = await slow
    assert made.exists() and made.stat().st_size == 1000  # the waiter got a whole file


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_start_deletes_stale_temporaries_and_indexes_oldest_first(tmp_path: Path) -> None:
    stale = tmp_path / ".16x16-2f-m-1.r1.mp4.k3j2.tmp.mp4"
    fresh = tmp_path / ".16x16-2f-m-2.r1.mp4.a9b8.tmp.mp4"
    for p in (stale, fresh):
        p.write_bytes(b"partial")
    _age(stale, STALE_TEMPORARY_SECONDS + 60)
    # Any render version, and keys that end in a digest of what the picture shows, are the cache's.
    old, mid, new = (
        tmp_path / name for name in ("16x16-2f-m-0.r0.mp4", "16x16-2f-m-1-0a1b2c.r1.png", "16x16-2f-m--2.r1.mp4")
    )
    for age, p in ((3000, old), (2000, mid), (1000, new)):
        p.write_bytes(b"\0" * 100)
        _age(p, age)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not ours")
    _age(foreign, 10**6)

    cache = MediaCache(tmp_path, max_bytes=250)
    cache.open()
    assert not stale.exists() and fresh.exists()  # a killed render's leftovers go; a live one's stay
    assert not old.exists() and mid.exists() and new.exists()  # over the cap at start: the oldest went
    assert foreign.exists()  # files that are not ours are never touched
    assert cache.size == 200


def test_the_server_opens_its_cache_at_start_with_the_configured_cap(tmp_path: Path) -> None:
    stale = tmp_path / ".16x16-2f-m-1.r1.png.zz.tmp.png"
    stale.write_bytes(b"x")
    _age(stale, STALE_TEMPORARY_SECONDS + 1)
    app = create_app(MockConfig(cache_dir=tmp_path, cache_max_mb=3, log_requests=False))
    assert not stale.exists()
    assert app[STATE].media.max_bytes == 3 * 2**20


def test_a_missing_directory_is_an_empty_cache_and_is_not_created(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "nowhere", max_bytes=10)
    assert cache.size == 0
    assert not (tmp_path / "nowhere").exists()
