"""``seedance``: generate, inspect, list, cancel and download Seedance videos from the shell.

Point it at the local mock with one variable: ``GPTPROTO_BASE_URL=http://127.0.0.1:8000``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import mimetypes
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

import contracts
from client._base import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL
from client._errors import SeedanceError, ValidationError
from client._sync import SeedanceClient
from client._types import Prediction, Task

__all__ = ["build_parser", "main"]

_EPILOG = (
    f"The API key comes from --api-key or ${ENV_API_KEY}; the server from --base-url or ${ENV_BASE_URL} "
    "(default https://gptproto.com; e.g. http://127.0.0.1:8000 for the local mock). "
    "Exit status: 0 on success, 1 when the API, the task or the client's own checks refuse, 2 on bad usage."
)


def build_parser() -> argparse.ArgumentParser:
    """The ``seedance`` argument parser."""
    # --json is accepted before or after the sub-command.
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON on stdout"
    )
    parser = argparse.ArgumentParser(
        prog="seedance", description="Generate videos with GPTProto's Seedance API.", epilog=_EPILOG
    )
    parser.add_argument("--api-key", help=f"API key (default: ${ENV_API_KEY})")
    parser.add_argument("--base-url", help=f"server origin (default: ${ENV_BASE_URL} or https://gptproto.com)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        parents=[json_flag],
        help="create a video task (optionally wait for it and download it)",
        description="Create a video task. Without --image it is text-to-video; --image gives a first frame, "
        "--last-image a last frame, --reference reference media (images, or videos/audios by file type).",
    )
    gen.add_argument("prompt", help="what the video should show")
    gen.add_argument("--model", "-m", required=True, help="model id, e.g. dreamina-seedance-2-0-fast-260128")
    gen.add_argument("--image", metavar="PATH", help="first frame: a file, an http(s) URL or a data: URI")
    gen.add_argument("--last-image", metavar="PATH", help="last frame (needs --image)")
    gen.add_argument(
        "--reference", metavar="PATH", action="append", default=[],
        help="reference image, video or audio (repeatable; cannot be mixed with --image)",
    )  # fmt: skip
    gen.add_argument(
        "--resolution", choices=list(contracts.resolutions()), help="output resolution (4k: Seedance 2.0 only)"
    )
    gen.add_argument("--duration", type=int, metavar="S", help="length in seconds (-1: the model picks, 1.5 pro / 2.x)")
    gen.add_argument("--ratio", help="aspect ratio: 16:9 4:3 1:1 3:4 9:16 21:9 (or adaptive, Ark only)")
    gen.add_argument("--no-audio", action="store_true", help="ask for a silent video (generate_audio false)")
    gen.add_argument("--seed", type=int, metavar="N", help="random seed (-1 for random)")
    gen.add_argument(
        "--family", choices=["ark", "predictions"], default="ark",
        help="API family: Ark content-generation tasks (default) or predictions",
    )  # fmt: skip
    gen.add_argument("--wait", action="store_true", help="poll until the task finishes")
    gen.add_argument("--output", "-o", metavar="FILE", help="download the video to FILE (implies --wait)")
    gen.add_argument(
        "--timeout", type=float, default=DEFAULT_WAIT_TIMEOUT, metavar="S",
        help=f"give up waiting after S seconds (default {DEFAULT_WAIT_TIMEOUT:g})",
    )  # fmt: skip
    gen.add_argument(
        "--poll-interval", type=float, default=DEFAULT_POLL_INTERVAL, metavar="S",
        help=f"first poll interval in seconds; it grows while waiting (default {DEFAULT_POLL_INTERVAL:g})",
    )  # fmt: skip

    status = sub.add_parser("status", parents=[json_flag], help="show a task", description="Show one task.")
    status.add_argument("id", help="task id (cgt-…)")
    status.add_argument(
        "--family", choices=["ark", "predictions"], default="ark",
        help="read it from the Ark task endpoint (default) or the predictions result endpoint",
    )  # fmt: skip

    lst = sub.add_parser("list", parents=[json_flag], help="list tasks", description="List tasks, newest first.")
    lst.add_argument("--status", help="only tasks with this status (queued, running, succeeded…)")
    lst.add_argument("--model", help="only tasks of this model")
    lst.add_argument("--page", type=int, default=1, help="page number (default 1)")
    lst.add_argument("--page-size", type=int, default=20, help="tasks per page, 1-500 (default 20)")

    cancel = sub.add_parser(
        "cancel", parents=[json_flag], help="cancel a queued task, or delete a finished one",
        description="Send the task's DELETE: a queued task is cancelled, a finished (succeeded, failed or "
        "expired) one is deleted; the API refuses a running task. The task is read first, so the output "
        "says which happened: 'cancelled ID' or 'deleted ID' (--json: cancelled, deleted, previous_status).",
    )  # fmt: skip
    cancel.add_argument("id", help="task id (cgt-…)")

    dl = sub.add_parser(
        "download", parents=[json_flag], help="download a finished task's video",
        description="Download the video of a finished task (or any video URL) to FILE.",
    )  # fmt: skip
    dl.add_argument("id", help="task id (cgt-…) or video URL")
    dl.add_argument("file", help="where to write the MP4")
    return parser


class _Ui:
    """Human output on stderr (live when it is a terminal); results on stdout; --json for scripts."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.err = Console(file=sys.stderr, highlight=False)
        self.live = self.err.is_terminal and not as_json

    def out(self, text: str) -> None:
        print(text, file=sys.stdout)

    def json(self, data: Any) -> None:
        print(json.dumps(data, indent=2, sort_keys=True), file=sys.stdout)

    def note(self, text: str) -> None:
        if not self.as_json:
            self.err.print(text, markup=False)


def _split_references(paths: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    images: list[str] = []
    videos: list[str] = []
    audios: list[str] = []
    for path in paths:
        mime, _ = mimetypes.guess_type(path.split("?", 1)[0])
        if mime and mime.startswith("video/"):
            videos.append(path)
        elif mime and mime.startswith("audio/"):
            audios.append(path)
        else:
            images.append(path)
    return images, videos, audios


def _generate(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    if args.last_image and not args.image:
        raise ValidationError("--last-image needs --image (the first frame)", param="last_image")
    if args.reference and args.image:
        raise ValidationError("--reference cannot be mixed with --image/--last-image", param="reference")
    images, videos, audios = _split_references(args.reference)
    options: dict[str, Any] = {"resolution": args.resolution, "duration": args.duration, "seed": args.seed}
    if args.no_audio:
        options["generate_audio"] = False
    created: str | Prediction
    if args.family == "ark":
        options["ratio"] = args.ratio
        created = client.create_task(
            args.model, args.prompt, first_frame=args.image, last_frame=args.last_image,
            reference_images=images or None, reference_videos=videos or None,
            reference_audios=audios or None, **options,
        )  # fmt: skip
        task_id = created
    else:
        options["aspect_ratio"] = args.ratio
        if args.reference:
            created = client.reference_to_video(
                args.model, args.prompt, images or None, videos or None, audios or None, **options
            )
        elif args.image:
            created = client.image_to_video(args.model, args.prompt, args.image, args.last_image, **options)
        else:
            created = client.text_to_video(args.model, args.prompt, **options)
        task_id = created.id
    ui.note(f"created task {task_id}")
    if not (args.wait or args.output):
        if ui.as_json:
            ui.json(created.raw if isinstance(created, Prediction) else {"id": task_id})
        else:
            ui.out(task_id)
        return 0
    final = _wait(client, created, args, ui)
    result = _summary(final)
    if args.output:
        path = _download(client, final, args.output, ui)
        result["output"] = str(path)
    if ui.as_json:
        ui.json(result)
    else:
        ui.out(f"{final.id} {final.normalized_status} {final.video_url or ''}".rstrip())
        if args.output:
            ui.out(f"saved {result['output']}")
    return 0


def _wait(client: SeedanceClient, created: str | Prediction, args: argparse.Namespace, ui: _Ui) -> Task | Prediction:
    started = time.monotonic()
    last_status: list[str] = []

    if ui.live:
        with ui.err.status(f"waiting for {getattr(created, 'id', created)}…") as spinner:

            def show(task: Task | Prediction) -> None:
                spinner.update(f"{task.id}: {task.normalized_status} ({time.monotonic() - started:.0f} s)")

            return client.wait(created, timeout=args.timeout, poll_interval=args.poll_interval, on_update=show)

    def log(task: Task | Prediction) -> None:
        if not last_status or last_status[-1] != task.normalized_status:
            last_status.append(task.normalized_status)
            ui.note(f"{task.id}: {task.normalized_status}")

    return client.wait(created, timeout=args.timeout, poll_interval=args.poll_interval, on_update=log)


def _download(client: SeedanceClient, target: str | Task | Prediction, file: str, ui: _Ui) -> Path:
    if not ui.live:
        return client.download(target, file)
    columns = (TextColumn("downloading"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=ui.err, transient=True) as bar:
        job = bar.add_task("download", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(job, completed=done, total=total)

        return client.download(target, file, progress=advance)


def _summary(task: Task | Prediction) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": task.id,
        "model": task.model,
        "status": task.status,
        "normalized_status": task.normalized_status,
        "video_url": task.video_url,
        "error": None if task.error is None else {"code": task.error.code, "message": task.error.message},
    }
    if isinstance(task, Task):
        data.update(
            resolution=task.resolution, ratio=task.ratio, duration=task.duration, seed=task.seed,
            width=task.width, height=task.height, created_at=task.created_at, updated_at=task.updated_at,
        )  # fmt: skip
    return data


def _status(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    task: Task | Prediction = (
        client.get_prediction(args.id) if args.family == "predictions" else client.get_task(args.id)
    )
    if ui.as_json:
        ui.json(task.raw)
        return 0
    summary = _summary(task)
    for key, value in summary.items():
        if value is not None:
            ui.out(f"{key:18} {value}")
    return 0


def _list(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    page = client.list_tasks(args.page, args.page_size, status=args.status, model=args.model)
    if ui.as_json:
        ui.json({"total": page.total, "items": [t.raw for t in page.items]})
        return 0
    for task in page.items:
        ui.out(f"{task.id}  {task.normalized_status:9}  {task.model or '-'}  {task.created_at or ''}".rstrip())
    ui.note(f"{len(page.items)} of {page.total} tasks (page {args.page})")
    return 0


def _cancel(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    # One DELETE both cancels a queued task and deletes a finished one [UPSTREAM §2]: read the task first so
    # the output says which it did. A running task is left to the API to refuse.
    before = client.get_task(args.id)
    client.cancel_task(args.id)
    deleted = before.is_terminal
    if ui.as_json:
        ui.json({"id": args.id, "cancelled": not deleted, "deleted": deleted, "previous_status": before.status})
    else:
        ui.out(f"{'deleted' if deleted else 'cancelled'} {args.id}")
    return 0


def _download_cmd(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    path = _download(client, args.id, args.file, ui)
    if ui.as_json:
        ui.json({"id": args.id, "output": str(path), "bytes": path.stat().st_size})
    else:
        ui.out(f"saved {path}")
    return 0


_COMMANDS = {
    "generate": _generate,
    "status": _status,
    "list": _list,
    "cancel": _cancel,
    "download": _download_cmd,
}


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run the CLI; returns the exit status. ``transport`` lets tests answer with ``httpx.MockTransport``."""
    args = build_parser().parse_args(argv)
    ui = _Ui(bool(getattr(args, "json", False)))
    try:
        with SeedanceClient(api_key=args.api_key, base_url=args.base_url, transport=transport) as client:
            return _COMMANDS[args.command](client, args, ui)
    except SeedanceError as exc:
        message = " ".join(str(exc).split())
        print(f"seedance: error: {message}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`seedance --json list | head`): stop quietly, as shell tools do. Point
        # stdout at /dev/null so the interpreter's last flush does not complain (Python docs' recipe).
        with contextlib.suppress(OSError, ValueError):
            fd = sys.stdout.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        return 141
    except OSError as exc:
        print(f"seedance: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seedance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
