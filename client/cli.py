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
from typing import Any, NoReturn

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

import contracts
from client._base import DEFAULT_BASE_URL, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL
from client._errors import APIError, SeedanceError, TaskError, ValidationError
from client._sync import SeedanceClient
from client._types import Prediction, Task
from contracts.endpoints import statuses

__all__ = ["build_parser", "main"]

_EPILOG = (
    "Point it at the local mock with --base-url http://127.0.0.1:8000. The options above may stand before or "
    "after the command. Exit status: 0 on success, 1 when the API, the task or the client's own checks refuse, "
    '2 on bad usage. With --json every result (and every error, as {"error": {...}}) is one JSON object on '
    "stdout: a task or prediction always has the same fields, whichever command printed it."
)


class _UsageError(Exception):
    """Bad command-line usage; ``main`` prints it (as JSON under --json) and exits 2."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises usage errors for ``main`` to print, instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message, self.format_usage())


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--api-key, --base-url and --json on ``parser``: the top parser holds their defaults; each command's
    copy leaves them unset unless given (SUPPRESS), so an option may stand before or after the command."""
    group = parser.add_argument_group("global options (before or after the command)")

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    group.add_argument("--api-key", default=default(None), help=f"API key (default: ${ENV_API_KEY})")
    group.add_argument(
        "--base-url", default=default(None),
        help=f"server origin (default: ${ENV_BASE_URL}, else {DEFAULT_BASE_URL})",
    )  # fmt: skip
    group.add_argument(
        "--json", action="store_true", default=default(False),
        help="print one JSON object on stdout (errors too)",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The ``seedance`` argument parser."""
    parser = _Parser(prog="seedance", description="Generate videos with GPTProto's Seedance API.", epilog=_EPILOG)
    _global_options(parser, defaults=True)
    globals_anywhere = _Parser(add_help=False)
    _global_options(globals_anywhere, defaults=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    gen = sub.add_parser(
        "generate",
        parents=[globals_anywhere],
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
    ark_ratios = contracts.family_rules("ark")["ratio_values"]
    both = [r for r in ark_ratios if r in contracts.family_rules("predictions")["ratio_values"]]
    ark_only = ", ".join(r for r in ark_ratios if r not in both)
    gen.add_argument("--ratio", help=f"aspect ratio: {' '.join(both)} (or {ark_only}, Ark only)")
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

    status = sub.add_parser("status", parents=[globals_anywhere], help="show a task", description="Show one task.")
    status.add_argument("id", help="task id (cgt-…)")
    status.add_argument(
        "--family", choices=["ark", "predictions"], default="ark",
        help="read it from the Ark task endpoint (default) or the predictions result endpoint",
    )  # fmt: skip

    lst = sub.add_parser("list", parents=[globals_anywhere], help="list tasks", description="List tasks, newest first.")
    lst.add_argument("--status", help=f"only tasks with this status ({', '.join(statuses('ark.task'))})")
    lst.add_argument("--model", help="only tasks of this model")
    lst.add_argument("--page", type=int, default=1, help="page number (default 1)")
    lst.add_argument("--page-size", type=int, default=20, help="tasks per page, 1-500 (default 20)")

    cancel = sub.add_parser(
        "cancel", parents=[globals_anywhere], help="cancel a queued task, or delete a finished one",
        description="Send the task's DELETE: a queued task is cancelled, a finished (succeeded, failed or "
        "expired) one is deleted; the API refuses a running task. The task is read first, so the output "
        "says which happened: 'cancelled ID' or 'deleted ID' (--json: cancelled, deleted, previous_status).",
    )  # fmt: skip
    cancel.add_argument("id", help="task id (cgt-…)")

    dl = sub.add_parser(
        "download", parents=[globals_anywhere], help="download a finished task's video",
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

    def error(self, exc: BaseException) -> None:
        """An error: ``{"error": {...}}`` on stdout under --json, else one line on stderr."""
        if self.as_json:
            self.json(_error_json(exc))
        else:
            print(f"seedance: error: {' '.join(str(exc).split())}", file=sys.stderr)


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
    created: Task | Prediction
    if args.family == "ark":
        options["ratio"] = args.ratio
        created = client.create_task(
            args.model, args.prompt, first_frame=args.image, last_frame=args.last_image,
            reference_images=images or None, reference_videos=videos or None,
            reference_audios=audios or None, **options,
        )  # fmt: skip
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
    ui.note(f"created task {created.id}")
    if not (args.wait or args.output):
        if ui.as_json:
            ui.json(_shape(created))
        else:
            ui.out(created.id)
        return 0
    final = _wait(client, created, args, ui)
    result = _shape(final)
    if args.output:
        result["output"] = str(_download(client, final, args.output, ui))
    if ui.as_json:
        ui.json(result)
    else:
        ui.out(f"{final.id} {final.normalized_status} {final.video_url or ''}".rstrip())
        if args.output:
            ui.out(f"saved {result['output']}")
    return 0


def _wait(client: SeedanceClient, created: Task | Prediction, args: argparse.Namespace, ui: _Ui) -> Task | Prediction:
    started = time.monotonic()
    last_status: list[str] = []

    if ui.live:
        with ui.err.status(f"waiting for {created.id}…") as spinner:

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


def _shape(task: Task | Prediction) -> dict[str, Any]:
    """The one --json shape of a task (``family`` ark) or a prediction (``family`` predictions), whichever
    command prints it; the human ``status`` output lists the same fields."""
    data: dict[str, Any] = {
        "family": "ark" if isinstance(task, Task) else "predictions",
        "id": task.id,
        "model": task.model,
        "status": task.status,
        "normalized_status": task.normalized_status,
        "video_url": task.video_url,
        "error": None if task.error is None else {"code": task.error.code, "message": task.error.message},
        "created_at": task.created_at,
    }
    if isinstance(task, Task):
        data.update(
            resolution=task.resolution, ratio=task.ratio, duration=task.duration, seed=task.seed,
            width=task.width, height=task.height, updated_at=task.updated_at,
        )  # fmt: skip
    else:
        data.update(outputs=list(task.outputs))
    return data


def _status(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    task: Task | Prediction = (
        client.get_prediction(args.id) if args.family == "predictions" else client.get_task(args.id)
    )
    shape = _shape(task)
    if ui.as_json:
        ui.json(shape)
        return 0
    for key, value in shape.items():
        if value not in (None, []):
            ui.out(f"{key:18} {value}")
    return 0


def _list(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    page = client.list_tasks(args.page, args.page_size, status=args.status, model=args.model)
    if ui.as_json:
        ui.json({"total": page.total, "page": args.page, "items": [_shape(t) for t in page.items]})
        return 0
    for task in page.items:
        ui.out(f"{task.id}  {task.normalized_status:9}  {task.model or '-'}  {task.created_at or ''}".rstrip())
    ui.note(f"{len(page.items)} of {page.total} tasks (page {args.page})")
    return 0


def _cancel(client: SeedanceClient, args: argparse.Namespace, ui: _Ui) -> int:
    # One DELETE both cancels a queued task and deletes a finished one [FIDELITY §2]: read the task first so
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


def _error_json(exc: BaseException, kind: str | None = None) -> dict[str, Any]:
    """``{"error": {...}}``: what --json prints for an error, with upstream's fields when the API refused."""
    error: dict[str, Any] = {"type": kind or type(exc).__name__, "message": " ".join(str(exc).split())}
    if isinstance(exc, APIError):
        error.update(status_code=exc.status_code, code=exc.code, param=exc.param, request_id=exc.request_id)
    elif isinstance(exc, ValidationError):
        error["param"] = exc.param
    elif isinstance(exc, TaskError):
        error["code"] = exc.code
        if exc.task is not None:
            error["task"] = _shape(exc.task)
    return {"error": error}


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run the CLI; returns the exit status. ``transport`` lets tests answer with ``httpx.MockTransport``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        if "--json" in argv:
            print(json.dumps(_error_json(exc, "UsageError"), indent=2, sort_keys=True))
        else:
            print(f"{exc.usage}seedance: error: {exc}", file=sys.stderr)
        return 2
    ui = _Ui(args.json)
    try:
        with SeedanceClient(api_key=args.api_key, base_url=args.base_url, transport=transport) as client:
            return _COMMANDS[args.command](client, args, ui)
    except BrokenPipeError:
        # The reader went away (`seedance --json list | head`): stop quietly, as shell tools do. Point
        # stdout at /dev/null so the interpreter's last flush does not complain (Python docs' recipe).
        with contextlib.suppress(OSError, ValueError):
            fd = sys.stdout.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        return 141
    except (SeedanceError, OSError) as exc:
        ui.error(exc)
        return 1
    except KeyboardInterrupt:
        print("seedance: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
