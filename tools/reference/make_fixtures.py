#!/usr/bin/env python3
"""THE one command that regenerates every Python-made test fixture (offline only).

    tools/reference/.venv/bin/python tools/reference/make_fixtures.py
        1. make_goldens.main()      test/fixtures/images/** and goldens/{preprocessing,prompts,postprocess}.json
                                    (tokenizer/images/pre+post-processing helper's script)
        2. export_model (tiny)      test/fixtures/tiny/** (tokenizer files, configs, 4 ONNX sessions
                                    + _fp16 + _quantized), checked against PyTorch before writing
        3. export_goldens           test/fixtures/goldens/{generation,first-step-logits}.json

    tools/reference/.venv/bin/python tools/reference/make_fixtures.py --preset base [--out .cache/models/florence-2-base-random]
        only the model folder for base/large (exact real dimensions, random weights; never committed)

Options: --skip-images (step 1 without rewriting the images), --only {goldens,model,model-goldens}
to run a subset, --report PATH (export report JSON: tolerances observed, timings, sizes).

Python is only used offline to make fixtures; never at runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="regenerate all Python-made fixtures")
    ap.add_argument("--preset", default="tiny", choices=["tiny", "base", "large"])
    ap.add_argument("--out", default=None, help="model folder (default: test/fixtures/tiny, "
                                                ".cache/models/florence-2-<preset>-random for base/large)")
    ap.add_argument("--skip-images", action="store_true", help="step 1: keep test/fixtures/images as they are")
    ap.add_argument("--only", choices=["goldens", "model", "model-goldens"], default=None,
                    help="goldens = step 1 only; model = step 2 only; model-goldens = step 3 only")
    ap.add_argument("--report", default=None, help="write the export report (JSON) here")
    args = ap.parse_args(argv)

    import torch

    # tiny: one thread (tiny matmuls; with 2 threads on a shared 2-core box PyTorch's generate() was
    # measured 10-40x slower from spin-waiting); base/large: all cores
    torch.set_num_threads(1 if args.preset == "tiny" else max(1, os.cpu_count() or 1))
    from presets import PRESETS

    preset = PRESETS[args.preset]
    out = os.path.abspath(args.out or os.path.join(REPO, preset.default_out))
    times: dict[str, float] = {}
    t_all = time.time()

    if args.preset != "tiny":
        import export_model

        t = time.time()
        report = export_model.export_preset(args.preset, out)
        times["export_model_s"] = time.time() - t
        if args.report:
            with open(args.report, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
        print(f"done: {out} ({time.time() - t_all:.1f}s)")
        return

    steps = {"goldens": args.only in (None, "goldens"),
             "model": args.only in (None, "model"),
             "model-goldens": args.only in (None, "model-goldens")}

    # 1. images + preprocessing / prompts / postprocess goldens (other helper's entry point)
    if steps["goldens"]:
        import make_goldens

        t = time.time()
        make_goldens.main(["--skip-images"] if args.skip_images else [])
        times["make_goldens_s"] = time.time() - t

    # 2. the tiny model folder (export + ORT-vs-PyTorch checks before anything is written)
    if steps["model"]:
        import export_model

        t = time.time()
        report = export_model.export_preset("tiny", out)
        times["export_tiny_s"] = time.time() - t
        if args.report:
            with open(args.report, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)

    # 3. model-side goldens (PyTorch native generate; cross-checked with onnxruntime)
    if steps["model-goldens"]:
        import export_goldens

        t = time.time()
        summary = export_goldens.make_goldens(model_dir=out)
        times["model_goldens_s"] = time.time() - t
        print(f"model goldens: {summary}")

    print("timings: " + ", ".join(f"{k}={v:.1f}" for k, v in times.items()) + f", total={time.time() - t_all:.1f}s")


if __name__ == "__main__":
    main()
