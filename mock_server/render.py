"""The pictures behind every succeeded task: what a media file shows, and the MP4/PNG encoders [issue 4, 13].

A fake that answers ``https://example.com/video.mp4`` breaks every pipeline that downloads, probes or plays
the result, so the mock makes real files with PyAV (FFmpeg ships in its wheels; no ``ffmpeg`` binary needed).
Each file shows the request that made it [FIDELITY §11]:

- it begins with the first-frame image and ends with the last-frame image when given (cover-fitted to the
  output size, a smooth cross-fade between), or shows the reference images in turn (each wiping in),
  or, for text alone, a seed-coloured gradient with a white bar sweeping across;
- a translucent box at the top left names the task id, the model, the resolution and size, and the first
  words of the prompt, over a progress bar. Pillow draws the text with its embedded scalable font (no
  system fonts).

Input images reach the renderer as *references* (stored at create by :func:`mock_server.images.ingest_image`):
a ``data:`` image is decoded once, into a small copy on disk named by its digest; an http(s) URL is never
fetched and shows as a card naming its host. :class:`MediaSpec` is everything that changes the pixels, so
its :attr:`MediaSpec.key` names the cached file.

``av``, ``numpy`` and ``PIL`` are imported inside the functions that need them: the server must start fast and
most runs never render anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts import FPS  # every model's output frame rate [FIDELITY §4: "Output is 24 fps"]
from mock_server.images import INPUTS_DIR, atomic_write

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image as PILImage

__all__ = [
    "CONTAINERS",
    "FPS",
    "MAX_FRAMES",
    "MAX_SIDE",
    "MediaSpec",
    "prompt_excerpt",
    "render_last_frame",
    "render_video",
]

#: Largest width or height accepted: the table's biggest side is 4398 (4k 21:9) [FIDELITY §4].
MAX_SIDE = 4398
#: Most frames accepted: 30 s at 24 fps + 1, every model's longest duration (2.5: 30 s) [FIDELITY §5].
MAX_FRAMES = FPS * 30 + 1
#: Audio sample rate of the AAC track.
SAMPLE_RATE = 48_000
#: Bump when the picture or the encoding changes, so caches made by older versions are not served.
RENDER_VERSION = 3  # 3: reference images wipe into each other (was a cross-fade)
#: Seeds are 64-bit at most (upstream's range is [-1, 2**32 - 1]; -1 is resolved before a spec exists).
_SEED_LIMIT = 2**63

SCENARIOS = ("text", "first_frame", "first_last_frame", "reference")
#: The most images one spec may carry (2.5 takes 30 references [FIDELITY §5]; room to spare).
MAX_IMAGES = 64

# A reference to one input image: a stored copy, a URL never fetched (its host), or an undecodable one.
_REF = re.compile(r"sha256:[0-9a-f]{32}|url:[!-~]{1,100}|bad:[a-z0-9-]{1,40}")
# Canonical plain keys only (no leading zeros, no "+"), so that from_key(k).key == k and one spec has one file;
# a spec that shows a request adds a digest of what it shows.
_KEY = re.compile(
    r"([1-9][0-9]{0,4})x([1-9][0-9]{0,4})-([1-9][0-9]{0,4})f-([am])-(0|-?[1-9][0-9]{0,19})(?:-([0-9a-f]{24}))?"
)
_LIMITS = {"task_id": 64, "model": 128, "resolution": 16, "prompt": 160}
#: The most characters of a media URL's ``spec`` token accepted.
MAX_TOKEN = 16_384


@dataclass(frozen=True)
class MediaSpec:
    """Everything one media file shows: size, frames, audio, seed, and the request it answers.

    The first five fields alone give the anonymous picture of issue 4 (a gradient and a sweeping bar). The
    rest make the file show its request: the task id, model, resolution and prompt excerpt in the overlay,
    and the input images (:func:`mock_server.images.ingest_image` references, in order) as ``scenario`` lays them out.
    ``resolution`` "4k" (any case) also switches the codec to H.265 [FIDELITY §11].
    """

    width: int
    height: int
    frames: int
    audio: bool
    seed: int
    task_id: str = ""
    model: str = ""
    resolution: str = ""
    prompt: str = ""
    scenario: str = "text"
    images: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("width", self.width, MAX_SIDE),
            ("height", self.height, MAX_SIDE),
            ("frames", self.frames, MAX_FRAMES),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
                raise ValueError(f"{name} must be an integer in [1, {limit}], got {value!r}")
        if not isinstance(self.audio, bool):
            raise ValueError(f"audio must be a bool, got {self.audio!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or abs(self.seed) >= _SEED_LIMIT:
            raise ValueError(f"seed must be a 64-bit integer, got {self.seed!r}")
        for name, limit in _LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) > limit:
                raise ValueError(f"{name} must be a string of at most {limit} characters, got {value!r}")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"scenario must be one of {SCENARIOS}, got {self.scenario!r}")
        if (
            not isinstance(self.images, tuple)
            or len(self.images) > MAX_IMAGES
            or not all(isinstance(r, str) and _REF.fullmatch(r) for r in self.images)
        ):
            raise ValueError(f"images must be a tuple of at most {MAX_IMAGES} image references")

    @property
    def plain(self) -> bool:
        """Whether the spec carries nothing beyond size, frames, audio and seed."""
        return not (self.task_id or self.model or self.resolution or self.prompt or self.images) and (
            self.scenario == "text"
        )

    def _extras(self) -> str:
        return json.dumps(
            {"t": self.task_id, "m": self.model, "r": self.resolution, "p": self.prompt,
             "s": self.scenario, "i": list(self.images)},
            separators=(",", ":"), sort_keys=True, ensure_ascii=True,
        )  # fmt: skip

    @property
    def key(self) -> str:
        """A filename- and URL-safe name, e.g. ``1280x720-121f-a-12345`` (``m`` for mute instead of ``a``).

        A spec that shows a request ends in 24 hex digits of a SHA-256 over everything else it shows, so
        the key names every pixel: the cache keys files by it [FIDELITY §11].
        """
        base = f"{self.width}x{self.height}-{self.frames}f-{'a' if self.audio else 'm'}-{self.seed}"
        if self.plain:
            return base
        return f"{base}-{hashlib.sha256(self._extras().encode()).hexdigest()[:24]}"

    @property
    def token(self) -> str:
        """What :attr:`key` cannot hold (ids, prompt, image references), URL-safe; empty for a plain spec."""
        if self.plain:
            return ""
        return base64.urlsafe_b64encode(self._extras().encode()).decode().rstrip("=")

    @property
    def duration(self) -> float:
        """Length in seconds: ``frames / 24``."""
        return self.frames / FPS

    @property
    def hevc(self) -> bool:
        """Whether the video is H.265: 4k files are, every other resolution is H.264 [FIDELITY §11]."""
        return self.resolution.lower() == "4k"

    @classmethod
    def from_key(cls, key: str, token: str | None = None) -> MediaSpec:
        """Parse :attr:`key` (and :attr:`token`) back; ``ValueError`` when malformed, out of bounds or when
        the token is not the one the key's digest names (both come from URLs)."""
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise ValueError(f"not a media key: {key!r}")
        width, height, frames, audio, seed, digest = match.groups()
        extras: dict[str, Any] = {}
        if digest is not None:
            extras = _parse_token(token)
        spec = cls(int(width), int(height), int(frames), audio == "a", int(seed), **extras)
        if spec.key != key:
            raise ValueError(f"the media key {key!r} does not match its spec")
        return spec


def _parse_token(token: str | None) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise ValueError("missing or oversized media spec token")
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("unreadable media spec token") from exc
    names = {"t": "task_id", "m": "model", "r": "resolution", "p": "prompt", "s": "scenario", "i": "images"}
    if not isinstance(raw, dict) or set(raw) != set(names) or not isinstance(raw["i"], list):
        raise ValueError("malformed media spec token")
    out = {names[k]: v for k, v in raw.items()}
    out["images"] = tuple(out["images"])
    return out


# -- what a request asked for ----------------------------------------------------------------------------
def prompt_excerpt(prompt: str | None, words: int = 12, limit: int = 100) -> str:
    """The first ``words`` words of a prompt (at most ``limit`` characters, "…" when cut), printable.

    Lone surrogates and control characters become "?" and spaces, so the text always draws and encodes.
    """
    if not isinstance(prompt, str):
        return ""
    text = prompt[: limit * 8]
    if not (text.isascii() and text.isprintable()):  # printable ASCII (most prompts) has nothing to replace
        text = text.encode("utf-8", "replace").decode("utf-8")
        text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    parts = text.split()
    out = " ".join(parts[:words])
    if len(out) > limit:
        out = out[: limit - 1].rstrip()
    if len(out) < len(" ".join(parts)):
        out += "…"
    return out


# -- the picture -----------------------------------------------------------------------------------------
_WHITE = (235, 128, 128)  # white in limited-range YCbCr (×4 at 10 bits)
# Cross-fade weights in 1/128ths: 8-bit differences times 128 still fit int16.
_FADE_BITS = 7
_FADE_ONE = 1 << _FADE_BITS


def _font(size: int) -> Any:
    """Pillow's embedded scalable font (Aileron Regular, Pillow ≥ 10.1 with FreeType): no system fonts."""
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _fit(text: str, font: Any, width: float) -> str:
    """``text`` cut with "…" so that it is at most ``width`` pixels wide."""
    if font.getlength(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid] + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


@dataclass
class _Overlay:
    """The caption box: an RGBA image, where it goes, and where its progress bar runs (frame pixels)."""

    image: PILImage.Image
    x: int
    y: int
    bar: tuple[int, int, int, int]  # left, top, right, bottom of the progress track

    @property
    def bottom(self) -> int:
        return self.y + self.image.height


def _overlay(spec: MediaSpec, even: int) -> _Overlay | None:
    """The caption: task id, model, resolution and size, prompt excerpt, and a progress track.

    Sized from the picture's short side (about 1/26 of it: 19 px at 480p, 83 px at 4k) so it reads the same
    at every resolution; None for pictures under 128 px a side (test sizes), where it cannot fit.
    """
    from PIL import Image, ImageDraw

    w, h = spec.width, spec.height
    if min(w, h) < 128:
        return None
    size = max(12, round(min(w, h) / 26))
    font = _font(size)
    pad, margin, step = size // 2, size // 2, round(size * 1.3)
    codec = "H.265 10-bit" if spec.hevc else "H.264"
    lines = [
        spec.task_id or "seedance-mock",
        spec.model or "(no model)",
        # "x", not "×": the embedded font has no multiplication sign.
        f"{spec.resolution or '?'} · {w}x{h} · {spec.frames} frames · seed {spec.seed} · {codec}",
    ]
    if spec.prompt:
        lines.append(f"“{spec.prompt}”")
    inner = w - 2 * margin - 2 * pad
    lines = [_fit(line, font, inner) for line in lines]
    text_w = max(int(font.getlength(line)) for line in lines)
    track = max(2, size // 5)
    box_w = min(w - 2 * margin, text_w + 2 * pad)
    box_h = 2 * pad + step * len(lines) + track
    box_w, box_h = box_w + box_w % even, box_h + box_h % even  # whole chroma samples
    x = y = margin - margin % even
    image = Image.new("RGBA", (box_w, box_h), (16, 16, 16, 176))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((pad, pad + i * step), line, font=font, fill=(255, 255, 255, 255))
    top = box_h - pad // 2 - track
    draw.rectangle((pad, top, box_w - pad - 1, top + track - 1), fill=(90, 90, 90, 255))
    return _Overlay(image, x, y, (x + pad, y + top, x + box_w - pad, y + top + track))


def _card(w: int, h: int, title: str, *details: str) -> PILImage.Image:
    """A placeholder for an image the mock cannot show: a slate card, a title and smaller lines below."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (w, h), (52, 64, 84))
    draw = ImageDraw.Draw(image)
    size = max(10, round(min(w, h) / 14))
    font, small = _font(size), _font(max(8, size * 2 // 3))
    draw.rectangle((0, 0, w - 1, h - 1), outline=(200, 200, 210), width=max(1, size // 8))
    lines = [(title, font), *((d, small) for d in details)]
    y = h / 2 - size * (len(lines) + 1) / 2
    for text, f in lines:
        text = _fit(text, f, w * 0.9)
        draw.text(((w - f.getlength(text)) / 2, y), text, font=f, fill=(230, 230, 235))
        y += f.size * 1.4
    return image


def _image_label(spec: MediaSpec, index: int) -> str:
    if spec.scenario == "reference":
        return f"reference image {index + 1}"
    return "last frame" if index == 1 else "first frame"


def _still_image(spec: MediaSpec, index: int, inputs: Path) -> PILImage.Image:
    """Input image ``index`` cover-fitted to the output size (scaled, centre-cropped), or its card."""
    from PIL import Image

    w, h = spec.width, spec.height
    ref = spec.images[index]
    label = _image_label(spec, index)
    kind, _, value = ref.partition(":")
    if kind == "url":
        return _card(w, h, label, value, "(a URL: the mock never fetches it)")
    if kind == "bad":
        return _card(w, h, label, "not shown: the data: image", f"was {value.replace('-', ' ')}")
    try:
        with Image.open(inputs / f"{value}.jpg") as opened:
            source = opened.convert("RGB")
    except Exception:  # gone (evicted), unreadable or damaged: the video still renders
        return _card(w, h, label, f"not shown: image {value[:8]}…", "has left the media cache")
    sw, sh = source.size
    scale = max(w / sw, h / sh)
    cw, ch = w / scale, h / scale
    box = ((sw - cw) / 2, (sh - ch) / 2, (sw + cw) / 2, (sh + ch) / 2)
    return source.resize((w, h), Image.Resampling.BILINEAR, box=box)


def _gradient(spec: MediaSpec) -> PILImage.Image:
    """The seed-coloured diagonal gradient behind a text-only video (two tasks' colours differ).

    Drawn in limited-range YCbCr as issue 4's picture was (seed-chosen luma span and chroma), then taken to
    RGB with the BT.601 inverse, so that the caption can be composited on it before encoding.
    """
    import numpy as np
    from PIL import Image

    rng = random.Random(spec.seed)
    # Computed at an eighth of the size and scaled up: a linear ramp survives bilinear scaling unchanged,
    # and a 4k picture costs what a 480p one did.
    w, h = -(-spec.width // 8), -(-spec.height // 8)
    lo, hi = rng.randint(40, 90), rng.randint(150, 200)
    u0, v0 = rng.randint(64, 192), rng.randint(64, 192)
    rows = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    cols = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    y = 1.164 * (lo + (hi - lo) * (0.6 * rows + 0.4 * cols) - 16)
    tilt = np.linspace(-24.0, 24.0, h, dtype=np.float32)[:, None]
    u, v = u0 + tilt - 128, v0 - tilt - 128
    rgb = np.empty((h, w, 3), dtype=np.float32)
    rgb[..., 0] = y + 1.596 * v
    rgb[..., 1] = y - 0.392 * u - 0.813 * v
    rgb[..., 2] = y + 2.017 * u
    small = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")
    return small.resize((spec.width, spec.height), Image.Resampling.BILINEAR)


def _smooth(x: float) -> float:
    """Ease in and out (smoothstep): the cross-fade starts and ends gently."""
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _timeline(spec: MediaSpec, stills: int) -> list[tuple[int, int, float]]:
    """For each frame: (still a, still b, weight of b); weight 0 holds still a [FIDELITY §11].

    first + last frame: hold the first image, cross-fade over the middle third (at most 2 s), hold the last;
    the first frame is the first image and the last frame the last image exactly. References: one equal
    slot each, the next image wiping in from the left over the last third of a slot (at most 0.5 s).
    """
    n = spec.frames
    plan = [(0, 0, 0.0)] * n
    if stills < 2:
        return plan
    if spec.scenario == "first_last_frame":
        span = max(0, min(2 * FPS, (n - 2) // 3)) if n > 2 else 0
        start = max(1, (n - span) // 2)
        for i in range(n):
            if i >= start + span:
                plan[i] = (1, 1, 0.0)
            elif i >= start:
                plan[i] = (0, 1, _smooth((i - start + 1) / (span + 1)))
        if n >= 2:
            plan[-1] = (1, 1, 0.0)
        return plan
    bounds = [round(k * n / stills) for k in range(stills + 1)]
    for k in range(stills):
        a, b = bounds[k], bounds[k + 1]
        fade = min(FPS // 2, (b - a) // 3) if k + 1 < stills else 0
        for i in range(a, b):
            into = i - (b - fade)
            plan[i] = (k, k + 1, _smooth((into + 1) / (fade + 1))) if fade and into >= 0 else (k, k, 0.0)
    return plan


class _Painter:
    """Frames for one spec: the stills (input images or the gradient, caption composited on) in YUV planes,
    held, cross-faded (first + last frame) or wiped (references) per the timeline, plus the progress bar
    (and, over the gradient, the sweeping bar).

    Each still is converted once; a held frame costs one copy of its planes, a cross-fade a few integer
    array ops, so the encoder dominates.
    """

    def __init__(self, spec: MediaSpec, *, ten_bit: bool = False, inputs: Path | None = None) -> None:
        import numpy as np

        self.spec = spec
        w, h = spec.width, spec.height
        # 4:2:0 needs even sides; odd sizes keep their exact size in 4:4:4.
        chroma = "420" if w % 2 == 0 and h % 2 == 0 else "444"
        self.pix_fmt = f"yuv{chroma}p" + ("10le" if ten_bit else "")
        self.sub = 2 if chroma == "420" else 1
        self.dtype = np.uint16 if ten_bit else np.uint8
        self.scale = 4 if ten_bit else 1
        self.overlay = _overlay(spec, self.sub)

        self.images = spec.images if spec.scenario != "text" else ()
        self.inputs = inputs or Path(".")
        self.sweep = not self.images  # motion for a picture that has none of its own
        self.wipe = spec.scenario == "reference"  # references wipe, first + last frame cross-fades
        # Stills are made when first needed and dropped once the timeline has passed them (it only moves
        # forward): the last-frame PNG makes one, and nine 4k references never sit in memory at once.
        self._stills: dict[int, list[np.ndarray]] = {}
        self.plan = _timeline(spec, max(1, len(self.images)))
        self._pair: tuple[int, int] | None = None
        self._diffs: list[np.ndarray] = []
        self._tmp: list[np.ndarray] = []
        self.bar = max(self.sub, (w // 24) // self.sub * self.sub)
        self.sweep_top = 0
        if self.overlay is not None:
            self.sweep_top = min(h, self.overlay.bottom + self.overlay.y)
            self.sweep_top -= self.sweep_top % self.sub

    def still(self, k: int) -> list[np.ndarray]:
        """The YUV planes of still ``k`` (input image ``k``, or the gradient), caption composited on."""
        import av
        import numpy as np

        planes = self._stills.get(k)
        if planes is None:
            for old in [i for i in self._stills if i < k - 1]:
                del self._stills[old]
            picture = _still_image(self.spec, k, self.inputs) if self.images else _gradient(self.spec)
            if self.overlay is not None:
                picture.paste(self.overlay.image, (self.overlay.x, self.overlay.y), self.overlay.image)
            rgb = np.asarray(picture if picture.mode == "RGB" else picture.convert("RGB"))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            planes = [p.copy() for p in self._views(frame.reformat(format=self.pix_fmt))]
            self._stills[k] = planes
        return planes

    def _diff(self, a: int, b: int) -> list[np.ndarray]:
        """``still b - still a`` per plane, for the one pair being cross-faded (the timeline visits pairs in
        order, so one pair is kept at a time: nine references at 4k would otherwise hold 400 MB)."""
        import numpy as np

        if self._pair != (a, b):
            self._pair = (a, b)
            wide = np.int32 if self.dtype == np.uint16 else np.int16  # |diff| × 128 must fit
            self._diffs = [pb.astype(wide) - pa for pa, pb in zip(self.still(a), self.still(b), strict=True)]
            self._tmp = [np.empty_like(d) for d in self._diffs]
        return self._diffs

    def _views(self, frame: Any) -> list[np.ndarray]:
        """The planes of ``frame`` as writable arrays of their visible pixels (strided over the padding)."""
        import numpy as np

        item = np.dtype(self.dtype).itemsize
        return [np.frombuffer(p, self.dtype).reshape(p.height, p.line_size // item)[:, : p.width] for p in frame.planes]

    def bar_x(self, index: int) -> int:
        """Left edge of the sweeping bar in frame ``index`` (0 at the first frame, the right edge at the last)."""
        span = max(0, self.spec.width - self.bar)
        last = max(1, self.spec.frames - 1)
        return (span * index // last) // self.sub * self.sub

    def frame(self, index: int) -> Any:
        """Frame ``index`` as a fresh ``av.VideoFrame`` (the encoder may keep it, so it owns its pixels)."""
        import av
        import numpy as np

        out = av.VideoFrame(self.spec.width, self.spec.height, self.pix_fmt)
        views = self._views(out)
        a, b, t = self.plan[index]
        weight = round(t * _FADE_ONE)
        if a == b or weight == 0:
            for dst, pa in zip(views, self.still(a), strict=True):
                dst[...] = pa
        elif self.wipe:
            # References: image b slides in from the left over image a. Only the moving edge changes from one
            # frame to the next, so the encoder codes about one picture per transition where a cross-fade made
            # it code every frame of it whole (the 9-reference 1080p file cost a third more) [FIDELITY §11].
            edge = round(t * self.spec.width) // self.sub * self.sub
            for dst, pa, pb, s in zip(views, self.still(a), self.still(b), (1, self.sub, self.sub), strict=True):
                dst[:, : edge // s] = pb[:, : edge // s]
                dst[:, edge // s :] = pa[:, edge // s :]
        else:
            diffs = self._diff(a, b)
            for dst, pa, diff, tmp in zip(views, self.still(a), diffs, self._tmp, strict=True):
                # a + (b - a) × weight / 128 in integers, in place: four passes over a plane.
                np.multiply(diff, weight, out=tmp)
                np.right_shift(tmp, _FADE_BITS, out=tmp)
                np.add(tmp, pa, out=tmp)
                dst[...] = tmp
        subs = (1, self.sub, self.sub)
        if self.sweep:
            x0 = self.bar_x(index)
            x1 = min(self.spec.width, x0 + self.bar)
            for dst, value, s in zip(views, _WHITE, subs, strict=True):
                dst[self.sweep_top // s :, x0 // s : -(-x1 // s)] = value * self.scale
        if self.overlay is not None:
            left, top, right, bottom = self.overlay.bar
            done = left + (right - left) * index // max(1, self.spec.frames - 1)
            done -= done % self.sub
            if done > left:
                for dst, value, s in zip(views, _WHITE, subs, strict=True):
                    dst[top // s : -(-bottom // s), left // s : done // s] = value * self.scale
        return out


def _tone(spec: MediaSpec) -> np.ndarray:
    """A quiet sine (about -26 dBFS) at a seed-chosen pitch, exactly ``frames / 24`` seconds long."""
    import numpy as np

    # A seed-chosen semitone in the two octaves up from A3 (220 Hz).
    pitch = 220.0 * 2 ** (random.Random(~spec.seed).randrange(24) / 12)
    n = spec.frames * SAMPLE_RATE // FPS  # 2000 samples per frame: exact
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    return (0.05 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)


def _first_encoder(names: Sequence[str]) -> str | None:
    import av

    for name in names:
        try:
            av.Codec(name, "w")
        except Exception:
            continue
        return name
    return None


def _h264_encoder() -> str:
    """libx264 when PyAV's FFmpeg has it (the wheels do), else whichever H.264 encoder exists."""
    name = _first_encoder(("libx264", "libopenh264", "h264"))
    if name is None:
        raise RuntimeError("this PyAV build has no H.264 encoder")
    return name


def _hevc_encoder() -> tuple[str, bool] | None:
    """(libx265 or another H.265 encoder, whether it takes 10-bit 4:2:0), or None without one."""
    import av

    name = _first_encoder(("libx265", "hevc"))
    if name is None:
        return None
    formats = {f.name for f in av.Codec(name, "w").video_formats or ()}
    return name, "yuv420p10le" in formats


def _encoder(spec: MediaSpec) -> tuple[str, bool]:
    """(encoder, 10-bit): H.265 10-bit for 4k when PyAV allows (8-bit, or H.264, when it does not)."""
    if spec.hevc:
        found = _hevc_encoder()
        if found is not None:
            return found
    return _h264_encoder(), False


#: Video containers: what a task's ``output_format`` may ask for (2.5: mp4 | mov [FIDELITY §11]).
CONTAINERS = ("mp4", "mov")


def render_video(
    spec: MediaSpec, path: Path | str, *, inputs: Path | str | None = None, container: str = "mp4"
) -> Path:
    """Write ``spec`` as an MP4 (or, with ``container="mov"``, a QuickTime movie) at ``path``, atomically, at
    24 fps, plus AAC 48 kHz if ``spec.audio``.

    H.264 (yuv420p, ultrafast), or for 4k H.265 tagged ``hvc1`` in 10-bit yuv420p10le when the encoder
    allows [FIDELITY §11]. Exactly ``spec.frames`` frames of ``width × height`` and ``frames / 24`` seconds;
    ``moov`` first (faststart) so players can start and seek before the whole file arrived. Input images
    are read from ``inputs`` (default: ``inputs/`` beside ``path``). Blocking: run it in a thread.
    The streams are the same in both containers; only the muxer differs [FIDELITY §11].
    """
    import av

    if container not in CONTAINERS:
        raise ValueError(f"container must be one of {CONTAINERS}, got {container!r}")
    path = Path(path)
    encoder, ten_bit = _encoder(spec)
    painter = _Painter(spec, ten_bit=ten_bit, inputs=Path(inputs) if inputs else path.parent / INPUTS_DIR)
    samples = _tone(spec) if spec.audio else None

    def write(tmp: Path) -> None:
        with av.open(str(tmp), "w", format=container, options={"movflags": "+faststart"}) as out:
            video = out.add_stream(encoder, rate=FPS)
            assert isinstance(video, av.video.stream.VideoStream)  # the encoder's name is only known at run time
            video.width, video.height, video.pix_fmt = spec.width, spec.height, painter.pix_fmt
            video.codec_context.time_base = Fraction(1, FPS)
            video.codec_context.gop_size = 2 * FPS  # a keyframe every 2 s keeps seeking cheap
            if encoder == "libx264":
                video.options = {"preset": "ultrafast", "crf": "26"}
            elif encoder == "libx265":
                video.codec_context.codec_tag = "hvc1"  # what Apple players need to open HEVC in MP4 / MOV
                # 4k costs x265 ~0.3 CPU s a frame at ultrafast; no B-frames, a short lookahead, no SAO or AQ
                # and a keyframe every 4 s take a quarter off (the picture is simple, quality is moot).
                video.codec_context.gop_size = 4 * FPS
                params = "log-level=error:bframes=0:rc-lookahead=5:sao=0:aq-mode=0"
                video.options = {"preset": "ultrafast", "crf": "28", "x265-params": params}
            audio = None
            if samples is not None:
                audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
                audio.codec_context.time_base = Fraction(1, SAMPLE_RATE)
                audio.options = {"aac_coder": "fast"}  # a test tone needs no psychoacoustic search
            chunk = (audio.codec_context.frame_size or 1024) if audio is not None else 0
            sent = 0

            def send_audio(upto: int) -> None:
                # Interleave: after each video frame, the audio that has played by its end.
                nonlocal sent
                assert audio is not None and samples is not None
                while sent < upto:
                    n = min(chunk, upto - sent)
                    pcm = samples[None, sent : sent + n]
                    frame = av.AudioFrame.from_ndarray(pcm, format="fltp", layout="mono")
                    frame.sample_rate, frame.pts = SAMPLE_RATE, sent
                    frame.time_base = Fraction(1, SAMPLE_RATE)
                    out.mux(audio.encode(frame))
                    sent += n

            for i in range(spec.frames):
                frame = painter.frame(i)
                frame.pts, frame.time_base = i, Fraction(1, FPS)
                out.mux(video.encode(frame))
                if samples is not None:
                    # Whole encoder frames only until the end, so just the very last AAC frame is short.
                    due = (i + 1) * SAMPLE_RATE // FPS
                    send_audio(len(samples) if i == spec.frames - 1 else due - due % chunk)
            out.mux(video.encode(None))
            if audio is not None:
                out.mux(audio.encode(None))

    atomic_write(path, f".{container}", write)
    return path


def render_last_frame(spec: MediaSpec, path: Path | str, *, inputs: Path | str | None = None) -> Path:
    """Write the video's last picture as a ``width × height`` RGB PNG at ``path`` (atomically)."""
    import av

    path = Path(path)
    painter = _Painter(spec, inputs=Path(inputs) if inputs else path.parent / INPUTS_DIR)
    rgb = painter.frame(spec.frames - 1).reformat(format="rgb24")
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = spec.width, spec.height, "rgb24"
    data = b"".join(bytes(p) for p in [*codec.encode(rgb), *codec.encode(None)])
    atomic_write(path, ".png", lambda tmp: tmp.write_bytes(data))
    return path
