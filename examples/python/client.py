"""A small Python client of the Florence-2 service: one unary call, a bidirectional StreamFrames of
N frames, and an INVALID_ARGUMENT call whose google.rpc.BadRequest details it reads with
googleapis-common-protos (through grpcio-status).

    pip install -r examples/python/requirements.txt
    python examples/python/client.py --addr 127.0.0.1:50051 --image photo.png [--task caption] [--frames 10]

Exits 1 if any of the three steps does not behave as described.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

# The committed generated code (generate.py) is a folder next to this file, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402  (googleapis-common-protos)
from grpc_status import rpc_status  # noqa: E402

from florence.v1 import (  # noqa: E402
    florence_service_pb2,
    florence_service_pb2_grpc,
    frames_pb2,
    image_pb2,
    results_pb2,
    task_pb2,
)

# The --task values: the tasks that need only an image (no text prompt, no region).
TASKS = {
    "caption": task_pb2.TASK_CAPTION,
    "detailed-caption": task_pb2.TASK_DETAILED_CAPTION,
    "more-detailed-caption": task_pb2.TASK_MORE_DETAILED_CAPTION,
    "od": task_pb2.TASK_OBJECT_DETECTION,
    "dense-region-caption": task_pb2.TASK_DENSE_REGION_CAPTION,
    "region-proposal": task_pb2.TASK_REGION_PROPOSAL,
    "ocr": task_pb2.TASK_OCR,
    "ocr-with-region": task_pb2.TASK_OCR_WITH_REGION,
}


def summary(result: results_pb2.TaskResult) -> str:
    """One line for any task's result: the text, or how many things were found."""
    kind = result.WhichOneof("result")
    if kind == "text":
        return repr(result.text.text)
    if kind == "detections":
        return f"{len(result.detections.detections)} detections"
    if kind == "ocr":
        return f"{len(result.ocr.lines)} text lines"
    return str(result).replace("\n", " ")


def unary(stub: florence_service_pb2_grpc.FlorenceServiceStub, task: int, image: image_pb2.Image, options: task_pb2.GenerationOptions, call: dict) -> None:
    """CaptionImage for --task caption, Run for the other tasks."""
    if task == task_pb2.TASK_CAPTION:
        res = stub.CaptionImage(florence_service_pb2.CaptionImageRequest(images=[image], options=options), **call)
        if len(res.results) != 1:
            raise RuntimeError(f"expected 1 result, got {len(res.results)}")
        r = res.results[0]
        print(f"CaptionImage: {r.text!r} ({r.generated_tokens} tokens, image {r.image_size.width}x{r.image_size.height}, model {res.timings.model_ms:.0f} ms)")
        return
    res = stub.Run(florence_service_pb2.RunRequest(task=task, images=[image], options=options), **call)
    if len(res.results) != 1:
        raise RuntimeError(f"expected 1 result, got {len(res.results)}")
    print(f"Run {task_pb2.Task.Name(task)}: {summary(res.results[0])}")


def stream_frames(stub: florence_service_pb2_grpc.FlorenceServiceStub, task: int, image: image_pb2.Image, options: task_pb2.GenerationOptions, frames: int, call: dict) -> None:
    """Sends a config and the frames from a generator while it reads the answers: one line each."""

    def requests() -> Iterator[frames_pb2.StreamFramesRequest]:
        # QUEUE answers every frame (LATEST may skip frames a newer one supersedes).
        config = frames_pb2.StreamConfig(task=task_pb2.TaskInput(task=task), options=options, backpressure=frames_pb2.BACKPRESSURE_MODE_QUEUE)
        yield frames_pb2.StreamFramesRequest(config=config)
        for frame_id in range(1, frames + 1):
            frame = frames_pb2.Frame(frame_id=frame_id, timestamp_us=time.time_ns() // 1000, image=image)
            yield frames_pb2.StreamFramesRequest(frame=frame)

    answers = 0
    for res in stub.StreamFrames(requests(), **call):
        answers += 1
        outcome = res.WhichOneof("outcome")
        if outcome == "result":
            print(f"frame {res.frame_id}: {summary(res.result)} (model {res.timings.model_ms:.0f} ms)")
        elif outcome == "skipped":
            print(f"frame {res.frame_id}: skipped ({res.skipped.reason})")
        else:
            raise RuntimeError(f"frame {res.frame_id} failed: {res.error.message}")
    if answers != frames:
        raise RuntimeError(f"sent {frames} frames, got {answers} answers")
    print(f"StreamFrames: {frames} frames, {answers} answers")


def bad_request(stub: florence_service_pb2_grpc.FlorenceServiceStub, call: dict) -> None:
    """A caption request without images: reads the google.rpc.BadRequest of the INVALID_ARGUMENT."""
    try:
        stub.CaptionImage(florence_service_pb2.CaptionImageRequest(), **call)
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise RuntimeError(f"expected INVALID_ARGUMENT, got {e.code().name}: {e.details()}") from e
        status = rpc_status.from_call(e)  # decodes the grpc-status-details-bin trailer
        violations = []
        for detail in status.details if status else []:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend(bad.field_violations)
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                print(f"ErrorInfo: reason {info.reason}, domain {info.domain}")
        if not violations:
            raise RuntimeError(f"INVALID_ARGUMENT without a google.rpc.BadRequest detail: {e.details()}") from e
        for v in violations:
            print(f"INVALID_ARGUMENT: field {v.field!r}: {v.description}")
        return
    raise RuntimeError("a request without images succeeded")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addr", default="127.0.0.1:50051", help="server address, HOST:PORT")
    parser.add_argument("--image", required=True, type=Path, help="image file (PNG, JPEG, ...)")
    parser.add_argument("--task", default="caption", choices=sorted(TASKS))
    parser.add_argument("--frames", default=10, type=int, help="frames to send on StreamFrames (default 10)")
    # Greedy and capped: a model with random weights never emits its end token, so an uncapped
    # call would generate the model's whole position limit.
    parser.add_argument("--max-new-tokens", default=16, type=int, help="max_new_tokens of every call, greedy (default 16)")
    parser.add_argument("--timeout", default=120.0, type=float, help="deadline of each call in seconds (default 120)")
    parser.add_argument("--ca", type=Path, help="PEM CA of the server's certificate: connect with TLS (default: plaintext)")
    parser.add_argument("--token", default=os.environ.get("FLORENCE2_TOKEN"), help="bearer token sent with every call (env FLORENCE2_TOKEN)")
    args = parser.parse_args()

    if args.ca is not None:
        channel = grpc.secure_channel(args.addr, grpc.ssl_channel_credentials(root_certificates=args.ca.read_bytes()))
    else:
        channel = grpc.insecure_channel(args.addr)
    call = {"timeout": args.timeout, "metadata": [("authorization", f"Bearer {args.token}")] if args.token else []}
    stub = florence_service_pb2_grpc.FlorenceServiceStub(channel)
    task = TASKS[args.task]
    image = image_pb2.Image(encoded=args.image.read_bytes())
    options = task_pb2.GenerationOptions(num_beams=1, max_new_tokens=args.max_new_tokens)
    steps = [
        ("unary call", lambda: unary(stub, task, image, options, call)),
        ("StreamFrames", lambda: stream_frames(stub, task, image, options, args.frames, call)),
        ("INVALID_ARGUMENT call", lambda: bad_request(stub, call)),
    ]
    with channel:
        for name, step in steps:
            try:
                step()
            except (grpc.RpcError, RuntimeError) as e:
                detail = f"{e.code().name}: {e.details()}" if isinstance(e, grpc.RpcError) else str(e)
                print(f"{name}: {detail}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
