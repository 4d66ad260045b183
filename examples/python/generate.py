"""Regenerates gen/ (the committed Python code of our API) with grpcio-tools' bundled protoc.

    pip install -r examples/python/requirements-generate.txt
    python examples/python/generate.py

Generates only proto/florence/v1. The google/rpc/error_details.proto it imports is read from
third_party/proto to compile, but its Python module comes from googleapis-common-protos
(google.rpc.error_details_pb2), so this writes no google/ folder and no __init__.py files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "gen"


def main() -> int:
    proto = ROOT / "proto"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = sorted(p.relative_to(proto).as_posix() for p in (proto / "florence" / "v1").glob("*.proto"))
    shutil.rmtree(OUT, ignore_errors=True)  # no stale module survives a proto rename
    OUT.mkdir()
    argv = [
        "protoc",
        f"-I{proto}",
        f"-I{ROOT / 'third_party' / 'proto'}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *files,
    ]
    if protoc.main(argv) != 0:
        print("protoc failed: " + " ".join(argv), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
