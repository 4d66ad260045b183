#!/usr/bin/env python3
"""Export a random-weight Florence-2 preset to the onnx-community folder layout, with checks.

    tools/reference/.venv/bin/python tools/reference/export_model.py --preset tiny   # -> test/fixtures/tiny
    tools/reference/.venv/bin/python tools/reference/export_model.py --preset base   # -> .cache/models/florence-2-base-random

(``make_fixtures.py`` calls ``export_preset`` for the tiny preset and is the documented entry point.)

Folder written (OUT):
  config.json, generation_config.json, preprocessor_config.json (make_tokenizer.write_preprocessor_config),
  tokenizer.json, tokenizer_config.json, special_tokens_map.json (make_tokenizer.build_tokenizer),
  onnx/{vision_encoder,embed_tokens,encoder_model,decoder_model_merged}.onnx
  (+ *_fp16.onnx and *_quantized.onnx for presets with ``variants``).

Nothing final is written before the checks pass: the ONNX files are exported into OUT/.staging,
run with onnxruntime on real preprocessed images + prompts and compared with the PyTorch native
model (image features, encoder states, first-step logits and present K/V, cached decoder steps,
a 2-token no-cache call, batch 2 with different rows and a padded prompt).  Any max-abs-diff above
the preset's tolerance raises SystemExit.  Only then are the files moved into place.

Python is only used offline to make fixtures; never at runtime.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import sys
import time
from typing import Any

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

sys.path.insert(0, os.path.join(REPO, "tools", "export"))
import onnx_sessions as eo  # noqa: E402  (the ONNX export, shared with tools/export)
import export_reference as er  # noqa: E402
from presets import GENERATION_CONFIG, PRESETS, Preset, onnx_community_config  # noqa: E402

# max abs diff ONNX Runtime (fp32) vs PyTorch fp32, per preset; checked on every export.
# "isolated": each session fed the PyTorch inputs of its stage; "chain": ORT end to end vs PyTorch
# end to end (float32 rounding differences get amplified by the random network; for tiny, PyTorch
# fp32 itself is ~1e-5 away from a float64 run of the same model at the encoder output).
TOLERANCE = {
    "tiny": {"isolated": 1e-4, "chain": 2e-3},
    "base": {"isolated": 5e-4, "chain": 5e-3},
    "large": {"isolated": 1e-3, "chain": 1e-2},
}
SESSIONS = ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"]
IMAGES_DIR = os.path.join(REPO, "test", "fixtures", "images")


def log(msg: str) -> None:
    print(msg, flush=True)


def _write_json(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def weights_sha256(model) -> str:
    """Hash of the exported weights (reproducibility check; recorded in config.json)."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(np.ascontiguousarray(t.detach().cpu().numpy()).tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# inputs for the checks
# --------------------------------------------------------------------------------------------


def check_images() -> list[tuple[str, Any]]:
    """Two real test images if the image fixtures exist, else two synthetic ones."""
    names = ["coffee.jpg", "rocket_exif6.jpg"]
    paths = [os.path.join(IMAGES_DIR, n) for n in names]
    if all(os.path.exists(p) for p in paths):
        return [(os.path.relpath(p, REPO), er.load_image(p)) for p in paths]
    return [("synthetic:1", er.synthetic_image(1)), ("synthetic:2", er.synthetic_image(2, (500, 700)))]


def prepare(processor, image, text: str) -> tuple[torch.Tensor, torch.Tensor]:
    """pixel_values and prompt input_ids via the native Florence2Processor (577 placeholders removed)."""
    b = processor(text=text, images=image, return_tensors="pt")
    ids = b["input_ids"]
    n = er.NUM_IMAGE_TOKENS
    assert bool((ids[:, :n] == processor.tokenizer.image_token_id).all()), "expected 577 <image> placeholders"
    return b["pixel_values"].float(), ids[:, n:].long()


# --------------------------------------------------------------------------------------------
# ORT runner
# --------------------------------------------------------------------------------------------


class OrtModel:
    def __init__(self, onnx_dir: str, suffix: str = "", threads: int = 2):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.log_severity_level = 3
        self.s = {n: ort.InferenceSession(os.path.join(onnx_dir, f"{n}{suffix}.onnx"), so,
                                          providers=["CPUExecutionProvider"]) for n in SESSIONS}
        dec = self.s["decoder_model_merged"]
        self.past_inputs = [i for i in dec.get_inputs() if i.name.startswith("past_key_values.")]
        self.present_names = [o.name for o in dec.get_outputs() if o.name.startswith("present.")]

    def vision(self, pv: np.ndarray) -> np.ndarray:
        return self.s["vision_encoder"].run(None, {"pixel_values": pv})[0]

    def embed(self, ids: np.ndarray) -> np.ndarray:
        return self.s["embed_tokens"].run(None, {"input_ids": ids})[0]

    def encoder(self, emb: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.s["encoder_model"].run(None, {"inputs_embeds": emb, "attention_mask": mask})[0]

    def decoder(self, emb, enc, enc_mask, past: dict[str, np.ndarray] | None):
        feeds = {"inputs_embeds": emb, "encoder_hidden_states": enc, "encoder_attention_mask": enc_mask}
        b = emb.shape[0]
        if past is None:
            for i in self.past_inputs:
                # transformers.js: batch_size -> B, every other symbolic dim -> 0, numeric dims kept
                shape = [b if d == "batch_size" else (d if isinstance(d, int) else 0) for d in i.shape]
                feeds[i.name] = np.zeros(shape, dtype=np.float32)
            feeds["use_cache_branch"] = np.array([False])
        else:
            feeds.update(past)
            feeds["use_cache_branch"] = np.array([True])
        outs = self.s["decoder_model_merged"].run(None, feeds)
        names = [o.name for o in self.s["decoder_model_merged"].get_outputs()]
        res = dict(zip(names, outs))
        return res["logits"], {n: res[n] for n in self.present_names}

    @staticmethod
    def next_past(presents: dict[str, np.ndarray], prev: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        """present.* -> past_key_values.*; encoder entries are kept from the first step (tjs)."""
        out = {}
        for n, v in presents.items():
            pn = n.replace("present.", "past_key_values.")
            if ".encoder." in n and prev is not None:
                out[pn] = prev[pn]
            else:
                out[pn] = v
        return out


def _maxdiff(a, b) -> float:
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _torch_past(cache) -> dict[str, np.ndarray]:
    out = {}
    for i, (sk, sv, ck, cv) in enumerate(er.cache_tensors(cache)):
        out[f"past_key_values.{i}.decoder.key"] = sk.numpy()
        out[f"past_key_values.{i}.decoder.value"] = sv.numpy()
        out[f"past_key_values.{i}.encoder.key"] = ck.numpy()
        out[f"past_key_values.{i}.encoder.value"] = cv.numpy()
    return out


def verify_fp32(model, ortm: OrtModel, processor, images, num_steps: int = 4) -> dict[str, dict[str, float]]:
    """ORT fp32 vs PyTorch native.  Returns {"isolated": {...}, "chain": {...}} max abs diffs.

    isolated: each ONNX session gets exactly the PyTorch inputs of that stage (measures the export);
    chain: ORT end to end (vision -> embed -> encoder -> decoder with its own KV cache) vs PyTorch end
    to end (what an engine sees; includes the amplification of float32 rounding differences)."""
    iso: dict[str, float] = {}
    chain: dict[str, float] = {}
    nondeg: dict[str, Any] = {}
    cfg = model.config.text_config
    L = cfg.decoder_layers

    def put(d: dict[str, float], name: str, v: float) -> None:
        d[name] = max(d.get(name, 0.0), v)

    # batch 1: first image + <OD>; batch 2: both images, different prompts (row 0 right-padded)
    pv1, ids1 = prepare(processor, images[0][1], "<OD>")
    pv2, ids2 = prepare(processor, images[1][1], "<CAPTION_TO_PHRASE_GROUNDING>A green car parked in front of a yellow building.")
    t1, t2 = ids1.shape[1], ids2.shape[1]
    tmax = max(t1, t2)
    idsb = torch.full((2, tmax), cfg.pad_token_id, dtype=torch.long)
    maskb = torch.zeros((2, tmax), dtype=torch.long)
    idsb[0, :t1], maskb[0, :t1] = ids1[0], 1
    idsb[1, :t2], maskb[1, :t2] = ids2[0], 1
    cases = [("b1", pv1, ids1, torch.ones_like(ids1)), ("b2", torch.cat([pv1, pv2]), idsb, maskb)]

    for tag, pv, ids, tmask in cases:
        b = pv.shape[0]
        f_t = er.ref_image_features(model, pv)
        f_o = ortm.vision(pv.numpy())
        put(iso, "vision_encoder.image_features", _maxdiff(f_o, f_t))
        e_t = model.get_input_embeddings()(ids)
        e_o = ortm.embed(ids.numpy())
        put(iso, "embed_tokens.inputs_embeds", _maxdiff(e_o, e_t))
        emb_t, mask_t = er.ref_encoder_inputs(model, f_t, ids, tmask)
        enc_t = er.ref_encoder(model, emb_t, mask_t)
        put(iso, "encoder_model.last_hidden_state", _maxdiff(ortm.encoder(emb_t.numpy(), mask_t.numpy()), enc_t))
        emb_o = np.concatenate([f_o, e_o], axis=1)
        mask_o = np.concatenate([np.ones((b, er.NUM_IMAGE_TOKENS), dtype=np.int64), tmask.numpy()], axis=1)
        assert np.array_equal(mask_o, mask_t.numpy())
        enc_o = ortm.encoder(emb_o, mask_o)
        put(chain, "encoder_model.last_hidden_state", _maxdiff(enc_o, enc_t))

        dec_ids = torch.full((b, 1), cfg.decoder_start_token_id, dtype=torch.long)
        logits_t, cache = er.ref_decoder_step(model, enc_t, mask_t, dec_ids)
        if tag == "b2":
            # different image + prompt per row must give clearly different logits / tokens
            nondeg["step0_logits_row_diff"] = float((logits_t[0] - logits_t[1]).abs().max())
            nondeg["logits_std"] = float(logits_t.std())
        li, pres_i = ortm.decoder(ortm.embed(dec_ids.numpy()), enc_t.numpy(), mask_o, None)
        lc, pres_c = ortm.decoder(ortm.embed(dec_ids.numpy()), enc_o, mask_o, None)
        put(iso, "decoder.step0.logits", _maxdiff(li, logits_t))
        put(chain, "decoder.step0.logits", _maxdiff(lc, logits_t))
        kv = er.cache_tensors(cache)
        for i in range(L):
            for j, n in enumerate(("decoder.key", "decoder.value", "encoder.key", "encoder.value")):
                put(iso, "decoder.step0.present", _maxdiff(pres_i[f"present.{i}.{n}"], kv[i][j]))
                put(chain, "decoder.step0.present", _maxdiff(pres_c[f"present.{i}.{n}"], kv[i][j]))
        past_c = OrtModel.next_past(pres_c, None)
        seq = dec_ids
        for step in range(1, num_steps + 1):
            nxt = torch.zeros((b, 1), dtype=torch.long) if step == 1 else logits_t[:, -1].argmax(-1, keepdim=True)
            seq = torch.cat([seq, nxt], dim=1)
            past_i = _torch_past(cache)
            logits_t, cache = er.ref_decoder_step(model, enc_t, mask_t, nxt, past=cache)
            emb_n = ortm.embed(nxt.numpy())
            li, pres_i = ortm.decoder(emb_n, enc_t.numpy(), mask_o, past_i)
            lc, pres_c = ortm.decoder(emb_n, enc_o, mask_o, past_c)
            put(iso, "decoder.cached_step.logits", _maxdiff(li, logits_t))
            put(chain, "decoder.cached_step.logits", _maxdiff(lc, logits_t))
            kv = er.cache_tensors(cache)
            for i in range(L):
                for j, n in enumerate(("decoder.key", "decoder.value")):
                    put(iso, "decoder.cached_step.present", _maxdiff(pres_i[f"present.{i}.{n}"], kv[i][j]))
                    put(chain, "decoder.cached_step.present", _maxdiff(pres_c[f"present.{i}.{n}"], kv[i][j]))
                for pres in (pres_i, pres_c):
                    shp = pres[f"present.{i}.encoder.key"].shape
                    if shp[0] != 0:
                        raise SystemExit(f"cache branch present.{i}.encoder.key should be an empty constant, got {shp}")
            past_c = OrtModel.next_past(pres_c, past_c)
        if tag == "b2":
            nondeg["distinct_greedy_prefixes"] = len({tuple(r) for r in seq.tolist()})
            nondeg["greedy_prefixes"] = seq.tolist()
        # no-cache call on the whole sequence so far (decoder_sequence_length > 1: causal mask)
        logits_full_t, _ = er.ref_decoder_step(model, enc_t, mask_t, seq)
        lf, _ = ortm.decoder(ortm.embed(seq.numpy()), enc_t.numpy(), mask_o, None)
        put(iso, "decoder.no_cache_multi_token.logits", _maxdiff(lf, logits_full_t))
        if tag == "b2":
            # batch rows are independent: row 1 of the batch == row 1 alone
            put(iso, "batch_row_independence.image_features", _maxdiff(ortm.vision(pv[1:].numpy()), f_o[1:]))
            put(iso, "batch_row_independence.encoder", _maxdiff(ortm.encoder(emb_o[1:], mask_o[1:]), enc_o[1:]))
    return {"isolated": iso, "chain": chain, "non_degenerate": nondeg}


def smoke_variant(ortm_ref: OrtModel, ortm: OrtModel, processor, images, steps: int = 4, label: str = "variant") -> dict[str, Any]:
    """Run a dtype variant through the whole pipeline (batch 1, step 0 + cached steps)."""
    pv, ids = prepare(processor, images[0][1], "<OD>")
    res: dict[str, Any] = {}
    outs = []
    for m in (ortm_ref, ortm):
        f = m.vision(pv.numpy())
        e = m.embed(ids.numpy())
        mask = np.ones((1, er.NUM_IMAGE_TOKENS + ids.shape[1]), dtype=np.int64)
        enc = m.encoder(np.concatenate([f, e], axis=1), mask)
        tok = np.array([[2]], dtype=np.int64)
        logits, pres = m.decoder(m.embed(tok), enc, mask, None)
        past = OrtModel.next_past(pres, None)
        all_logits = [logits[:, -1]]
        toks = []
        for step in range(1, steps + 1):
            tok = np.array([[0]], dtype=np.int64) if step == 1 else np.array([[int(np.argmax(all_logits[-1]))]])
            toks.append(int(tok[0, 0]))
            logits, pres = m.decoder(m.embed(tok), enc, mask, past)
            past = OrtModel.next_past(pres, past)
            all_logits.append(logits[:, -1])
        for name, arr in (("image_features", f), ("inputs_embeds", e), ("encoder last_hidden_state", enc), ("logits", logits)):
            if arr.dtype != np.float32 or not np.isfinite(arr).all():
                # e.g. fp16: random weights at base/large size push DaViT activations past 65504
                raise SystemExit(f"{label}: {name} is {arr.dtype} with {int((~np.isfinite(arr)).sum())} non-finite of {arr.size} values; "
                                 "this variant is unusable for these weights (pass --variants quantized to write only the int8 files)")
        outs.append((f, enc, np.stack(all_logits), toks))
    res["image_features_max_abs_diff_vs_fp32"] = _maxdiff(outs[1][0], outs[0][0])
    res["encoder_max_abs_diff_vs_fp32"] = _maxdiff(outs[1][1], outs[0][1])
    res["logits_max_abs_diff_vs_fp32"] = _maxdiff(outs[1][2], outs[0][2])
    res["argmax_agree_per_step"] = [int(a) for a in (np.argmax(outs[1][2], -1) == np.argmax(outs[0][2], -1)).ravel()]
    return res


# --------------------------------------------------------------------------------------------
# main export
# --------------------------------------------------------------------------------------------


def build_model_and_tokenizer(preset: Preset, tok_dir: str):
    """Tokenizer files into tok_dir, native processor, and the (vocab-truncated) native model.
    Also returns the placeholder-equivalence diffs measured before truncation."""
    import make_tokenizer as mt
    from goldens_native import load_native_processor

    mt.build_tokenizer(tok_dir, pad_base_vocab=preset.pad_base_vocab)
    processor = load_native_processor(tok_dir)
    vocab = processor.tokenizer.image_token_id  # = len(tokenizer files) (the <image> id)
    model = er.build_native_model(preset, vocab)
    images = check_images()
    pv, ids = prepare(processor, images[0][1], "<OD>")
    eq = er.check_native_placeholder_equivalence(model, pv, ids, processor.tokenizer.image_token_id, vocab)
    er.truncate_vocab(model, vocab)
    return model, processor, vocab, eq, images


def export_preset(preset_name: str, out_dir: str, variants: bool | str | None = None) -> dict[str, Any]:
    """Export + check into OUT/.staging, then move into OUT.  On failure the staging folder is
    removed (kept when FLORENCE2_EXPORT_KEEP_STAGING=1, for debugging) and nothing final is written."""
    staging = os.path.join(os.path.abspath(out_dir), ".staging")
    try:
        return _export_preset(preset_name, out_dir, variants)
    except BaseException:
        if not os.environ.get("FLORENCE2_EXPORT_KEEP_STAGING"):
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _export_preset(preset_name: str, out_dir: str, variants: bool | str | None = None) -> dict[str, Any]:
    preset = PRESETS[preset_name]
    if variants is None:
        variants = preset.variants
    tol = TOLERANCE[preset_name]
    timings: dict[str, float] = {}
    t_all = time.time()
    out_dir = os.path.abspath(out_dir)
    staging = os.path.join(out_dir, ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.join(staging, "onnx"), exist_ok=True)
    tmp = os.path.join(staging, "tmp")
    os.makedirs(tmp, exist_ok=True)

    t = time.time()
    model, processor, vocab, eq, images = build_model_and_tokenizer(preset, staging)
    timings["build_model_s"] = time.time() - t
    log(f"[{preset_name}] vocab {vocab}; native placeholder path vs concat layout: {eq}")
    if max(eq.values()) > tol["isolated"]:
        raise SystemExit(f"native <image>-placeholder path differs from the concat layout: {eq}")
    cfg = model.config.text_config
    d, L, H = cfg.d_model, cfg.decoder_layers, cfg.decoder_attention_heads

    onnx_dir = os.path.join(staging, "onnx")
    t = time.time()
    eo.export_vision(model, os.path.join(onnx_dir, "vision_encoder.onnx"), d)
    timings["export_vision_encoder_s"] = time.time() - t
    t = time.time()
    eo.export_embed(model, os.path.join(onnx_dir, "embed_tokens.onnx"))
    eo.export_encoder(model, os.path.join(onnx_dir, "encoder_model.onnx"), d)
    timings["export_embed_encoder_s"] = time.time() - t
    t = time.time()
    halves = (os.path.join(tmp, "decoder_model.onnx"), os.path.join(tmp, "decoder_with_past_model.onnx"))
    eo.export_decoders(model, *halves)
    eo.merge_decoders(*halves, os.path.join(onnx_dir, "decoder_model_merged.onnx"), L, H, d // H, vocab)
    timings["export_merge_decoder_s"] = time.time() - t
    log(f"[{preset_name}] exported ({time.time() - t_all:.1f}s so far)")

    # ---------- checks (before anything final is written)
    t = time.time()
    ortm = OrtModel(onnx_dir)
    diffs = verify_fp32(model, ortm, processor, images)
    timings["check_fp32_s"] = time.time() - t
    log(f"[{preset_name}] non-degeneracy: {diffs['non_degenerate']}")
    for kind in ("isolated", "chain"):
        log(f"[{preset_name}] ORT fp32 vs PyTorch, {kind}, max abs diff: "
            + ", ".join(f"{k}={v:.2e}" for k, v in diffs[kind].items()))
    bad = {f"{kind}:{k}": v for kind in ("isolated", "chain") for k, v in diffs[kind].items() if not v <= tol[kind]}
    if bad:
        raise SystemExit(f"[{preset_name}] ONNX export check FAILED (tolerance {tol}): {bad}")
    nd = diffs["non_degenerate"]
    if nd["step0_logits_row_diff"] < 0.1 or nd["logits_std"] < 0.5 or nd["distinct_greedy_prefixes"] < 2:
        raise SystemExit(f"[{preset_name}] random weights look degenerate: {nd}")

    variant_report: dict[str, Any] = {}
    # variants: True = fp16 and int8, "quantized" = int8 only, False = none
    suffixes = ["_quantized"] if variants == "quantized" else ["_fp16", "_quantized"] if variants else []
    if suffixes:
        t = time.time()
        converters = {"_fp16": eo.make_fp16, "_quantized": eo.make_quantized}
        for suffix, convert in ((x, converters[x]) for x in suffixes):
            for n in SESSIONS[:3]:
                convert(os.path.join(onnx_dir, f"{n}.onnx"), os.path.join(onnx_dir, f"{n}{suffix}.onnx"))
            # the decoder halves are converted separately and then merged (the converters do not
            # handle weights that live in the outer graph of an If node)
            conv_halves = [h.replace(".onnx", f"{suffix}.onnx") for h in halves]
            for src, dst in zip(halves, conv_halves):
                convert(src, dst)
            eo.merge_decoders(*conv_halves, os.path.join(onnx_dir, f"decoder_model_merged{suffix}.onnx"), L, H, d // H, vocab)
        timings["variants_s"] = time.time() - t
        for suffix in suffixes:
            variant_report[suffix] = smoke_variant(ortm, OrtModel(onnx_dir, suffix), processor, images, label=f"[{preset_name}] {suffix}")
            log(f"[{preset_name}] {suffix}: {variant_report[suffix]}")

    shutil.rmtree(tmp)

    # ---------- config files
    conf = onnx_community_config(preset, vocab)
    conf["florence2_reference_fixture"]["weights_sha256"] = weights_sha256(model)
    _write_json(os.path.join(staging, "config.json"), conf)
    _write_json(os.path.join(staging, "generation_config.json"), GENERATION_CONFIG)
    import make_tokenizer as mt

    mt.write_preprocessor_config(staging)

    # ---------- move into place
    for p in glob.glob(os.path.join(staging, "**", "*"), recursive=True):
        if os.path.isdir(p):
            continue
        rel = os.path.relpath(p, staging)
        dst = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(p, dst)
    shutil.rmtree(staging)
    # drop stale variant files when variants are off
    if not variants:
        for p in glob.glob(os.path.join(out_dir, "onnx", "*_fp16.onnx")) + glob.glob(os.path.join(out_dir, "onnx", "*_quantized.onnx")):
            os.remove(p)
    timings["total_s"] = time.time() - t_all
    sizes = {os.path.relpath(p, out_dir): os.path.getsize(p) for p in sorted(glob.glob(os.path.join(out_dir, "**", "*"), recursive=True)) if os.path.isfile(p)}
    report = {
        "preset": preset_name,
        "out_dir": out_dir,
        "vocab_size": vocab,
        "tolerance_fp32": tol,
        "native_placeholder_equivalence_max_abs_diff": eq,
        "fp32_max_abs_diff": diffs,
        "variants": variant_report,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "sizes_bytes": sizes,
        "check_images": [p for p, _ in images],
    }
    log(json.dumps({k: report[k] for k in ("timings", "sizes_bytes")}, indent=1))
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--out", default=None, help="output folder (default: the preset's default_out under the repo root)")
    ap.add_argument("--variants", choices=["auto", "yes", "no", "quantized"], default="auto",
                    help="write *_fp16 and *_quantized too (yes), only *_quantized (quantized), or neither (no)")
    ap.add_argument("--report", default=None, help="write the export report JSON here")
    args = ap.parse_args(argv)
    preset = PRESETS[args.preset]
    out = args.out or os.path.join(REPO, preset.default_out)
    variants: bool | str | None = None if args.variants == "auto" else "quantized" if args.variants == "quantized" else args.variants == "yes"
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    report = export_preset(args.preset, out, variants)
    if args.report:
        _write_json(args.report, report)


if __name__ == "__main__":
    main()
