#!/usr/bin/env python3
"""Export a fine-tuned Florence-2 checkpoint to a folder that `florence2 serve --model OUT` loads.

    florence2_export.py SRC OUT [--adapter DIR] [--variants fp16,q8] [--skip-check] [--tolerance X]

SRC is a local checkpoint folder in transformers' native layout (``model_type: florence2``, saved with
``save_pretrained``) or in Microsoft's original ``trust_remote_code`` layout (renamed to the native one by
the table in original_layout.py).  ``--adapter`` merges a PEFT LoRA adapter into the weights first.

Written to OUT (onnx-community layout, docs/export.md): onnx/{vision_encoder,embed_tokens,encoder_model,
decoder_model_merged}.onnx in float32 (+ ``_fp16`` / ``_quantized`` for --variants), config.json,
generation_config.json, preprocessor_config.json and the tokenizer files.  Everything is staged in
OUT/.staging; before anything is moved into OUT the ONNX chain is checked against PyTorch on the
checkpoint's own weights (docs/export.md#what-is-checked).  Exit status 1 with a message on every refusal.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

DEFAULT_TOLERANCE = 5e-3
VARIANTS = ("fp16", "q8")


def log(msg: str) -> None:
    print(msg, flush=True)


def parse_args(argv: list[str] | None):
    ap = argparse.ArgumentParser(prog="florence2 export", description=__doc__.split("\n\n")[0])
    ap.add_argument("src", metavar="SRC", help="checkpoint folder (native or original Florence-2 layout)")
    ap.add_argument("out", metavar="OUT", help="output folder (created; files of an earlier export are replaced)")
    ap.add_argument("--adapter", metavar="DIR", help="PEFT LoRA adapter folder to merge into the weights")
    ap.add_argument("--variants", default="", metavar="LIST", help="also write these precisions: fp16, q8 (comma-separated)")
    ap.add_argument("--skip-check", action="store_true", help="do not compare the ONNX chain with PyTorch (fast, unchecked)")
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                    help=f"largest accepted max |logits difference| ONNX fp32 vs PyTorch (default {DEFAULT_TOLERANCE:g})")
    ap.add_argument("--check-image", metavar="FILE", help="image for the check (default: a synthetic picture)")
    ap.add_argument("--check-steps", type=int, default=8, help="greedy steps per task in the check (default 8)")
    ap.add_argument("--report", metavar="FILE", help="also write the export report as JSON here")
    args = ap.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        ap.error(f"--variants {','.join(unknown)}: unknown precision; use a comma-separated subset of {','.join(VARIANTS)}")
    if not args.tolerance > 0:
        ap.error(f"--tolerance must be a positive number, got {args.tolerance}")
    if args.check_steps < 1:
        ap.error("--check-steps must be at least 1")
    args.variants = variants
    return args


def truncate_vocab(model, vocab: int) -> None:
    """Keeps embedding / LM-head rows < vocab (drops ``<image>`` and pad-to-64 rows): logits width = vocab."""
    import torch
    from torch import nn

    lm = model.model.language_model
    old = lm.shared
    if old.weight.shape[0] < vocab:
        raise SystemExit(f"the tokenizer has {vocab} ids but the model embeds only {old.weight.shape[0]}; "
                         "tokenizer and weights do not belong together")
    with torch.no_grad():
        emb = type(old)(vocab, old.embedding_dim, old.padding_idx, embed_scale=old.embed_scale)
        emb.weight.copy_(old.weight[:vocab])
        head = nn.Linear(old.embedding_dim, vocab, bias=False)
        head.weight.copy_(model.lm_head.weight[:vocab])
    lm.shared = lm.encoder.embed_tokens = lm.decoder.embed_tokens = emb
    model.lm_head = head
    model.config.text_config.vocab_size = vocab
    model.eval()


def export_onnx(model, onnx_dir: str, tmp: str, variants: list[str]) -> None:
    # the tracer's and the quantizer's advice (shape-dependent Python branches, pre-processing) is about
    # general models; the checks below are what tell whether this export is right
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            _export_onnx(model, onnx_dir, tmp, variants)
        finally:
            logging.disable(logging.NOTSET)


def _export_onnx(model, onnx_dir: str, tmp: str, variants: list[str]) -> None:
    import onnx_sessions as eo
    from chain_check import SUFFIXES

    cfg = model.config.text_config
    d, L, H = cfg.d_model, cfg.decoder_layers, cfg.decoder_attention_heads
    eo.export_vision(model, os.path.join(onnx_dir, "vision_encoder.onnx"), d)
    eo.export_embed(model, os.path.join(onnx_dir, "embed_tokens.onnx"))
    eo.export_encoder(model, os.path.join(onnx_dir, "encoder_model.onnx"), d)
    halves = (os.path.join(tmp, "decoder_model.onnx"), os.path.join(tmp, "decoder_with_past_model.onnx"))
    eo.export_decoders(model, *halves)
    eo.merge_decoders(*halves, os.path.join(onnx_dir, "decoder_model_merged.onnx"), L, H, d // H, cfg.vocab_size)
    convert = {"fp16": eo.make_fp16, "q8": eo.make_quantized}
    for v in variants:
        suffix = SUFFIXES[v]
        for n in ("vision_encoder", "embed_tokens", "encoder_model"):
            convert[v](os.path.join(onnx_dir, f"{n}.onnx"), os.path.join(onnx_dir, f"{n}{suffix}.onnx"))
        # the converters do not handle weights in the outer graph of an If: convert the halves, then merge
        conv = [h.replace(".onnx", f"{suffix}.onnx") for h in halves]
        for src, dst in zip(halves, conv):
            convert[v](src, dst)
        eo.merge_decoders(*conv, os.path.join(onnx_dir, f"decoder_model_merged{suffix}.onnx"), L, H, d // H, cfg.vocab_size)


def run(args) -> dict:
    import chain_check as cc
    import folder_files as ff
    import torch
    from checkpoint import load_checkpoint, merge_adapter

    t0 = time.time()
    timings: dict[str, float] = {}
    src, out = os.path.abspath(args.src), os.path.abspath(args.out)
    if not os.path.isdir(src):
        raise SystemExit(f"SRC {args.src}: not a folder; pass a local checkpoint folder (config.json + weights)")
    if os.path.commonpath([src, out]) == src and src != out or src == out:
        raise SystemExit("OUT must not be SRC or inside it; choose a separate output folder")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    loaded = load_checkpoint(src)
    model = loaded.model
    log(f"loaded {os.path.basename(src)}: {loaded.layout} layout ({loaded.weight_file})"
        + "".join(f"; {n}" for n in loaded.notes))
    adapter_info = None
    if args.adapter:
        model, adapter_info = merge_adapter(model, os.path.abspath(args.adapter), loaded.layout)
        log(f"merged LoRA adapter {os.path.basename(os.path.abspath(args.adapter))}: {adapter_info['merged_tensors']} tensors, "
            f"max |weight change| {adapter_info['max_abs_weight_change']:.3g}" + (f" - WARNING: {adapter_info['warning']}"
                                                                              if "warning" in adapter_info else ""))
    timings["load_s"] = time.time() - t0

    staging = os.path.join(out, ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    onnx_dir, tmp = os.path.join(staging, "onnx"), os.path.join(staging, "tmp")
    os.makedirs(onnx_dir)
    os.makedirs(tmp)
    try:
        vocab = ff.write_tokenizer(src, staging)
        pre = ff.write_preprocessor(src, staging)
        ff.write_generation_config(src, staging)
        truncate_vocab(model, vocab)
        t = time.time()
        export_onnx(model, onnx_dir, tmp, args.variants)
        shutil.rmtree(tmp)
        timings["export_s"] = time.time() - t
        log(f"exported the ONNX sessions (vocab {vocab}) in {timings['export_s']:.1f} s")

        t = time.time()
        check: dict = {"skipped": True}
        image, label = ff.check_image(args.check_image)
        inputs = cc.CheckInputs(ff.pixel_values(image, pre), ff.prompt_ids(staging, cc.CHECK_TASKS), label, args.check_steps)
        fp32 = cc.OrtChain(onnx_dir)
        if args.skip_check:
            log("--skip-check: NOT comparing the ONNX chain with PyTorch (logits tolerance and greedy tokens unchecked)")
        else:
            rep = cc.check_fp32(model, fp32, inputs, args.tolerance)
            log(f"check: ONNX fp32 vs PyTorch on {label} image, {args.check_steps} greedy steps per task:")
            for line in rep.lines():
                log(line)
            check = {"skipped": False, "image": label, "steps": args.check_steps, "tolerance": args.tolerance,
                     "passed": rep.passed, "tasks": rep.tasks}
            if not rep.passed:
                raise SystemExit("check FAILED: the ONNX export does not reproduce PyTorch; nothing was written to OUT")
        variants = {}
        for v in args.variants:  # finiteness is checked even with --skip-check: a NaN model must never be written
            variants[v] = cc.check_variant(v, fp32, cc.OrtChain(onnx_dir, cc.SUFFIXES[v]), inputs)
            log(f"variant {v}: finite outputs; vs fp32: " + ", ".join(
                f"{k} logits diff {r['max_abs_logits_diff_vs_fp32']:.2e} tokens {'same' if r['tokens_equal_fp32'] else 'differ'}"
                for k, r in variants[v].items()))
        timings["check_s"] = time.time() - t
        provenance = {"source": os.path.basename(src), "source_layout": loaded.layout, "adapter": adapter_info,
                      "variants": args.variants, "check": {k: v for k, v in check.items() if k != "tasks"}}
        ff.write_json(os.path.join(staging, "config.json"), ff.onnx_community_config(model, vocab, provenance))
        files = ff.move_into_place(staging, out)
    except BaseException:
        if not os.environ.get("FLORENCE2_EXPORT_KEEP_STAGING"):
            shutil.rmtree(staging, ignore_errors=True)
        raise
    timings["total_s"] = time.time() - t0
    log(f"wrote {len(files)} files to {args.out} in {timings['total_s']:.1f} s; serve it with: florence2 serve --model {args.out}")
    return {"layout": loaded.layout, "adapter": adapter_info, "vocab_size": vocab, "check": check,
            "variants": variants, "timings": {k: round(v, 2) for k, v in timings.items()}, "files": files}


SETUP = ("python3 -m venv tools/export/.venv && tools/export/.venv/bin/pip install -r tools/export/requirements.txt")
# exit status for "Python packages missing" (the florence2 CLI prints the setup command for it)
EXIT_MISSING_PACKAGES = 3


def require_packages(adapter: bool) -> None:
    import importlib

    names = ["numpy", "torch", "transformers", "onnx", "onnxruntime", "safetensors", "PIL", "tokenizers"]
    names += ["peft"] if adapter else []
    missing = []
    for n in names:
        try:
            importlib.import_module(n)
        except ImportError:
            missing.append(n)
    if missing:
        sys.stderr.write(f"florence2 export: missing Python package(s) {', '.join(missing)} in {sys.executable}; "
                         f"set up once (from the package folder): {SETUP}\n")
        raise SystemExit(EXIT_MISSING_PACKAGES)
    import transformers

    if not hasattr(transformers, "Florence2ForConditionalGeneration"):
        sys.stderr.write(f"florence2 export: transformers {transformers.__version__} has no native Florence-2 "
                         f"(4.56 or newer needed); set up once: {SETUP}\n")
        raise SystemExit(EXIT_MISSING_PACKAGES)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    require_packages(bool(args.adapter))
    try:
        report = run(args)
    except SystemExit as e:
        if isinstance(e.code, str):  # a refusal with its reason: one line, exit status 1
            sys.stderr.write(f"florence2 export: {e.code}\n")
            raise SystemExit(1) from None
        raise
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
