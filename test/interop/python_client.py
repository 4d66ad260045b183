"""Interop check (c): a Python grpcio client generated from proto/ with grpcio-tools.

    python test/interop/python_client.py --address 127.0.0.1:PORT --out /tmp/gen --image some.png

Generates the Python modules from the .proto files into --out, then calls DetectObjects and checks
the shape of the result, and checks that a bad request fails with INVALID_ARGUMENT. Prints one
PASS/FAIL line per check; exits 1 if any failed.

With --ca (and --cert/--key for mutual TLS) it connects over TLS with grpc.ssl_channel_credentials;
with --token it sends `authorization: Bearer <token>` and also checks that the same call without
the token fails with UNAUTHENTICATED.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path


def generate(proto_dir: Path, third_party_dir: Path, out: Path) -> None:
    """Runs protoc (bundled with grpcio-tools) on every .proto file the service needs."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = sorted(str(p.relative_to(proto_dir)) for p in (proto_dir / "florence" / "v1").glob("*.proto"))
    files.append("google/rpc/error_details.proto")
    out.mkdir(parents=True, exist_ok=True)
    argv = ["protoc", f"-I{proto_dir}", f"-I{third_party_dir}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    if protoc.main(argv) != 0:
        raise SystemExit(f"protoc failed: {' '.join(argv)}")
    # google.rpc must join the installed `google` namespace package (google.protobuf) instead of
    # shadowing it, so no __init__.py files are written anywhere.


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--proto", default="proto", type=Path)
    # google/rpc/error_details.proto (imported by frames.proto) lives outside our module.
    parser.add_argument("--third-party-proto", default="third_party/proto", type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--image", default="test/fixtures/images/tiny_12x9.png", type=Path)
    parser.add_argument("--deadline-s", default=60.0, type=float)
    parser.add_argument("--ca", type=Path, help="PEM CA of the server's certificate: connect with TLS")
    parser.add_argument("--cert", type=Path, help="PEM client certificate (mutual TLS)")
    parser.add_argument("--key", type=Path, help="PEM client key (mutual TLS)")
    parser.add_argument("--token", help="bearer token to send with every call")
    args = parser.parse_args()

    generate(args.proto.resolve(), args.third_party_proto.resolve(), args.out)
    sys.path.insert(0, str(args.out))
    import grpc

    pb = importlib.import_module("florence.v1.florence_service_pb2")
    pb_grpc = importlib.import_module("florence.v1.florence_service_pb2_grpc")
    image_pb = importlib.import_module("florence.v1.image_pb2")
    task_pb = importlib.import_module("florence.v1.task_pb2")

    png = args.image.read_bytes()
    failures: list[str] = []

    def check(name: str, body: Callable[[], str]) -> None:
        try:
            print(f"PASS python {name}: {body()}", flush=True)
        except Exception as e:  # noqa: BLE001 - any failure of a check is reported, then the next runs
            failures.append(name)
            print(f"FAIL python {name}: {type(e).__name__}: {e}", flush=True)

    if args.ca is not None:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=args.ca.read_bytes(),
            private_key=args.key.read_bytes() if args.key else None,
            certificate_chain=args.cert.read_bytes() if args.cert else None,
        )
        channel = grpc.secure_channel(args.address, credentials)
    else:
        channel = grpc.insecure_channel(args.address)
    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    stub = pb_grpc.FlorenceServiceStub(channel)
    options = task_pb.GenerationOptions(num_beams=1, max_new_tokens=8)

    def detect() -> str:
        request = pb.DetectObjectsRequest(images=[image_pb.Image(encoded=png)], options=options)
        response = stub.DetectObjects(request, timeout=args.deadline_s, metadata=metadata)
        assert len(response.results) == 1, f"expected 1 result, got {len(response.results)}"
        result = response.results[0]
        assert result.task == task_pb.TASK_OBJECT_DETECTION, f"task {result.task}"
        assert (result.image_size.width, result.image_size.height) == (12, 9), f"image_size {result.image_size}"
        assert result.generated_tokens > 0, "generated_tokens should be > 0"
        for d in result.detections:
            b = d.box
            assert 0 <= b.x1 <= b.x2 <= 12 and 0 <= b.y1 <= b.y2 <= 9, f"box outside the 12x9 image: {b}"
            assert 0.0 <= d.confidence <= 1.0, f"confidence {d.confidence}"
        labels = [d.label for d in result.detections]
        return f"{len(result.detections)} detections {labels[:3]}, raw_text {result.raw_text[:60]!r}"

    def bad_region() -> str:
        # An inverted region violates the documented contract (x1 < x2), whatever the model is.
        geometry_pb = importlib.import_module("florence.v1.geometry_pb2")
        request = pb.ClassifyImageRegionRequest(
            images=[image_pb.Image(encoded=png)], region=geometry_pb.BoundingBox(x1=10, y1=1, x2=2, y2=5)
        )
        try:
            stub.ClassifyImageRegion(request, timeout=args.deadline_s, metadata=metadata)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, f"status {e.code()}"
            return f"{e.code().name}: {e.details()}"
        raise AssertionError("the call succeeded")

    def no_token() -> str:
        request = pb.DetectObjectsRequest(images=[image_pb.Image(encoded=png)], options=options)
        try:
            stub.DetectObjects(request, timeout=args.deadline_s)
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAUTHENTICATED, f"status {e.code()}: {e.details()}"
            return f"{e.code().name}: {e.details()}"
        raise AssertionError("the call without a token succeeded")

    mode = ("TLS " if args.ca else "") + ("+ token " if args.token else "")
    check(f"{mode}DetectObjects (unary)", detect)
    check(f"{mode}ClassifyImageRegion with an inverted region -> INVALID_ARGUMENT", bad_region)
    if args.token:
        check(f"{mode}DetectObjects without the token -> UNAUTHENTICATED", no_token)
    channel.close()
    print("python interop: all checks passed" if not failures else f"python interop: FAILED {'; '.join(failures)}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
