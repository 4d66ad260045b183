#!/usr/bin/env python3
"""Regenerate the test images and the preprocessing / prompts / post-processing goldens.

    tools/reference/.venv/bin/python tools/reference/make_goldens.py [--skip-images]

Writes (deterministically):
    test/fixtures/images/**                       (via make_images.main, unless --skip-images)
    test/fixtures/goldens/preprocessing.json
    test/fixtures/goldens/prompts.json
    test/fixtures/goldens/postprocess.json

Reference = transformers' NATIVE Florence2Processor (+ slow CLIPImageProcessor) over our tokenizer
files (tools/reference/make_tokenizer.py); see goldens_native.py for how <image> and the
post-processor config are supplied.  Python is only used offline; never at runtime.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import sys
import tempfile
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
IMAGES_DIR = os.path.join(REPO, "test", "fixtures", "images")
GOLDENS_DIR = os.path.join(REPO, "test", "fixtures", "goldens")
TINY_MODEL_DIR = os.path.join(REPO, "test", "fixtures", "tiny")

import goldens_cases as gc  # noqa: E402
import make_tokenizer as mt  # noqa: E402
import preprocessor as pp  # noqa: E402
from goldens_native import IMAGE_TOKEN, load_native_processor  # noqa: E402

IMAGE_FILES = [
    "coffee.jpg",
    "camera_gray.png",
    "chelsea_alpha.png",
    "rocket_exif6.jpg",
    "tiny_12x9.png",
    "panorama_2160x480.jpg",
    "astronaut_tall.webp",
]


def _rel(path: str) -> str:
    return os.path.relpath(path, REPO).replace(os.sep, "/")


def _write_json(path: str, obj: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def _versions() -> dict[str, str]:
    import PIL
    import tokenizers
    import torch
    import transformers

    return {
        "python": sys.version.split()[0],
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


# ============================================================================================
# preprocessing.json
# ============================================================================================


def _positions() -> list[list[int]]:
    pos: list[list[int]] = []
    for c in range(3):
        for y, x in [(0, 0), (0, 767), (767, 0), (767, 767)]:
            pos.append([c, y, x])
    pos += [[0, 384, 384], [1, 384, 384], [2, 384, 384], [1, 1, 1]]
    # deterministic LCG (no dependence on numpy's RNG streams)
    state = 20241127
    while len(pos) < 100:
        vals = []
        for _ in range(3):
            state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            vals.append(state >> 33)
        pos.append([int(vals[0] % 3), int(vals[1] % 768), int(vals[2] % 768)])
    return pos


def _pv_stats(pv: np.ndarray, positions: list[list[int]]) -> dict[str, Any]:
    x = pv[0].astype(np.float64)
    return {
        "shape": list(pv.shape),
        "dtype": "float32",
        "mean_per_channel": [float(x[c].mean()) for c in range(3)],
        "std_per_channel": [float(x[c].std()) for c in range(3)],
        "mean": float(x.mean()),
        "min": float(x.min()),
        "max": float(x.max()),
        "values": [float(pv[0, c, y, xx]) for c, y, xx in positions],
    }


def _u8_stats(a: np.ndarray) -> dict[str, Any]:
    return {
        "shape_hwc": list(a.shape),
        "mean_per_channel": [float(a[..., c].astype(np.float64).mean()) for c in range(3)],
        "sha256": hashlib.sha256(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).hexdigest(),
    }


def _preprocess_entry(rgb, positions, extra: dict[str, Any]) -> dict[str, Any]:
    decoded = np.array(rgb, dtype=np.uint8)
    resized = pp.reference_resize(rgb)
    pv = pp.reference_pixel_values(rgb)
    assert np.array_equal(pv, pp.pixel_values_from_resized(resized))
    naive = pp.naive_pixel_values(resized)
    entry = dict(extra)
    entry.update({
        "decoded_rgb": _u8_stats(decoded),
        "resized_u8": {
            **_u8_stats(resized),
            "values": [int(resized[y, x, c]) for c, y, x in positions],
        },
        "pixel_values": _pv_stats(pv, positions),
        "naive_float32_formula_max_abs_diff": float(np.abs(naive.astype(np.float64) - pv.astype(np.float64)).max()),
    })
    return entry


def make_preprocessing() -> dict[str, Any]:
    from PIL import Image

    positions = _positions()
    images = []
    for fname in IMAGE_FILES:
        path = os.path.join(IMAGES_DIR, fname)
        rgb, info = pp.load_like_user(path)
        stem = os.path.splitext(fname)[0]
        resized_path = os.path.join(IMAGES_DIR, "resized", stem + ".png")
        png = np.array(Image.open(resized_path).convert("RGB"))
        assert np.array_equal(png, pp.reference_resize(rgb)), f"{resized_path} is stale; run make_images.py"
        images.append(_preprocess_entry(rgb, positions, {
            "file": fname,
            "path": _rel(path),
            "synthetic": None,
            "raw_mode": info["raw_mode"],
            "raw_width": info["raw_size"][0],
            "raw_height": info["raw_size"][1],
            "exif_orientation": info["orientation"],
            "orientation_applied": info["orientation"] != 1,
            "width": info["size"][0],
            "height": info["size"][1],
            "resized_png": _rel(resized_path),
        }))
    for name, size, fill in [("white_640x480", (640, 480), (255, 255, 255)), ("gray128_33x17", (33, 17), (128, 128, 128))]:
        rgb = Image.new("RGB", size, fill)
        images.append(_preprocess_entry(rgb, positions, {
            "file": None,
            "path": None,
            "synthetic": {"name": name, "mode": "RGB", "width": size[0], "height": size[1], "fill_rgb": list(fill)},
            "raw_mode": "RGB",
            "raw_width": size[0],
            "raw_height": size[1],
            "exif_orientation": 1,
            "orientation_applied": False,
            "width": size[0],
            "height": size[1],
            "resized_png": None,
        }))
    return {
        "description": "Reference image preprocessing (transformers CLIPImageProcessor, slow/PIL path, as used by "
                       "the native Florence2Processor) for the test images in test/fixtures/images/.",
        "loading": pp.LOADING_NOTE,
        "config": {k: v for k, v in mt.preprocessor_config().items()
                   if k in ("size", "resample", "do_resize", "do_rescale", "rescale_factor", "do_normalize",
                            "image_mean", "image_std", "do_center_crop", "do_convert_rgb")},
        "versions": _versions(),
        "notes": [
            "positions: [c, y, x] indices into pixel_values[0] (CHW); the same list is used for every image. "
            "pixel_values.values[i] = pixel_values[0, c, y, x]; resized_u8.values[i] = resized_png[y, x, c].",
            "stats are computed in float64 over the float32 pixel_values; std is the population std (ddof=0).",
            "decoded_rgb: the RGB uint8 image after PIL decode + exif_transpose + convert('RGB'), HWC row-major; "
            "sha256 over its raw bytes. PNG decodes are exact in any decoder; JPEG/WebP decodes may differ by "
            "small amounts between decoders (libjpeg-turbo IDCT/upsampling, libwebp), so compare those with a "
            "tolerance.",
            "resized_png is exactly the reference resize output (uint8, before rescale/normalize); pixel_values "
            "recomputed from it with the processor's rescale+normalize equal the processor output bit-exactly.",
            "naive_float32_formula_max_abs_diff: max |((u8/255 - mean)/std computed in float32) - reference|, "
            "i.e. the error budget of a straightforward port given an identical resize.",
            "The resize is PIL's antialiased separable bicubic (a=-0.5) with 8-bit intermediate rounding; "
            "a non-PIL resize will differ by a few uint8 levels (allow a tolerance, e.g. mean abs diff).",
        ],
        "positions": positions,
        "images": images,
    }


# ============================================================================================
# prompts.json
# ============================================================================================


def _quantize_formula(v: float, size: int) -> int:
    return min(999, max(0, math.floor(v * 1000 / size)))


def _native_quantize(processor, box: list[float], size: list[int], dtype) -> list[int]:
    import torch

    t = torch.tensor([box], dtype=dtype)
    return [int(b) for b in processor.post_processor.quantize(t, size=tuple(size))[0].tolist()]


def _task_of(text: str) -> str | None:
    for t in mt.TASK_PROMPTS_WITHOUT_INPUTS:
        if t in text:
            return t
    for t in mt.TASK_PROMPTS_WITH_INPUT:
        if t in text:
            return t
    return None


def _encode_native(processor, text: str, dummy_image) -> dict[str, Any]:
    """input_ids/attention_mask as the native processor produces them WITH an image, minus the 577
    leading <image> placeholders (our ONNX contract concatenates image features instead)."""
    out = processor(images=dummy_image, text=text, return_tensors=None)
    ids = list(out["input_ids"][0])
    mask = list(out["attention_mask"][0])
    img_id = processor.tokenizer.image_token_id
    n_img = sum(1 for i in ids if i == img_id)
    assert n_img == 577 and all(i == img_id for i in ids[:577]), n_img
    return {"input_ids": [int(i) for i in ids[577:]], "attention_mask": [int(m) for m in mask[577:]],
            "num_image_tokens": n_img, "image_attention_mask_all_ones": all(m == 1 for m in mask[:577])}


def _special_subseq(ids: list[int]) -> list[int]:
    return [i for i in ids if i <= 3 or i >= mt.REAL_MASK_ID]


def make_prompts(p_tiny, p_pad) -> dict[str, Any]:
    import torch
    from PIL import Image

    dummy = Image.new("RGB", (32, 24), (127, 127, 127))
    region_by_id: dict[str, dict[str, Any]] = {}
    quant_cases = []
    for rid, size, box, note in gc.REGION_BOXES:
        xs = [box[0], box[2]]
        ys = [box[1], box[3]]
        bins = [_quantize_formula(xs[0], size[0]), _quantize_formula(ys[0], size[1]),
                _quantize_formula(xs[1], size[0]), _quantize_formula(ys[1], size[1])]
        n64 = _native_quantize(p_tiny, box, size, torch.float64)
        n32 = _native_quantize(p_tiny, box, size, torch.float32)
        rec = {
            "id": rid,
            "image_size": list(size),
            "box_px": list(box),
            "bins": bins,
            "loc_string": "".join(f"<loc_{b}>" for b in bins),
            "bins_native_quantize_float64": n64,
            "bins_native_quantize_float32": n32,
            "native_float64_agrees": n64 == bins,
            "native_float32_agrees": n32 == bins,
            "note": note,
        }
        region_by_id[rid] = rec
        quant_cases.append(rec)

    tiny_tok = p_tiny.tokenizer
    pad_tok = p_pad.tokenizer
    cases = []
    for cid, text, region_id, note in gc.PROMPT_CASES:
        if region_id is not None:
            text = text + region_by_id[region_id]["loc_string"]
        task = _task_of(text)
        with_input = task in mt.TASK_PROMPTS_WITH_INPUT if task else False
        rec: dict[str, Any] = {
            "id": cid,
            "task": task,
            "text": text,
            "user_input": text.replace(task, "") if with_input else None,
            "region": region_by_id[region_id] if region_id else None,
            "note": note,
        }
        try:
            prompt = p_tiny._construct_prompts(text)[0]
        except ValueError as e:
            rec.update({"prompt": None, "native_error": f"ValueError: {e}", "tiny": None, "padded": None})
            cases.append(rec)
            continue
        rec["prompt"] = prompt
        rec["native_error"] = None
        for key, proc, tok in (("tiny", p_tiny, tiny_tok), ("padded", p_pad, pad_tok)):
            enc = _encode_native(proc, text, dummy)
            direct = tok(prompt)  # add_special_tokens=True: <s> ... </s> via RobertaProcessing
            enc_direct_equal = list(direct["input_ids"]) == enc["input_ids"]
            d = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
            if key == "tiny":
                d["tokens"] = tok.convert_ids_to_tokens(enc["input_ids"])
            d["same_as_tokenizer_call"] = enc_direct_equal
            rec[key] = d
        spec = gc.SPEC_REAL_IDS.get(prompt)
        if spec is not None:
            ours = rec["padded"]["input_ids"]
            ours_sp, spec_sp = _special_subseq(ours), _special_subseq(spec)
            sp_id = pad_tok.convert_tokens_to_ids("Ġ")

            def space_before_added(ids, space_id):
                return [ids[i - 1] == space_id for i in range(1, len(ids)) if ids[i] >= mt.REAL_MASK_ID and (i == 1 or ids[i - 1] < mt.REAL_MASK_ID)]

            rec["spec_real_ids"] = spec
            rec["spec_check"] = {
                "special_and_added_ids_spec": spec_sp,
                "special_and_added_ids_padded": ours_sp,
                "agree": ours_sp == spec_sp,
                "space_token_before_added_run_spec": space_before_added(spec, 1437),
                "space_token_before_added_run_padded": space_before_added(ours, sp_id),
            }
        cases.append(rec)

    def tok_info(tok, name):
        ids = {t: tok.convert_tokens_to_ids(t) for t in ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "<od>", "</od>",
                                                           "<ocr>", "</ocr>", "<loc_0>", "<loc_999>", "<cap>", "<sep>",
                                                           "<poly>", "</poly>", "<and>"]}
        return {
            "name": name,
            "vocab_size": len(tok) - 1,  # without the runtime <image>
            "special_ids": ids,
            "space_token": "Ġ",
            "space_token_id": tok.convert_tokens_to_ids("Ġ"),
            "native_runtime_image_token": IMAGE_TOKEN,
            "native_runtime_image_token_id": tok.image_token_id,
        }

    decode_cases = []
    for text in gc.DECODE_TEXTS:
        rec = {"text": text}
        for key, tok in (("tiny", tiny_tok), ("padded", pad_tok)):
            ids = tok(text, add_special_tokens=False)["input_ids"]
            rec[key] = {
                "ids": [int(i) for i in ids],
                "decoded": tok.decode(ids, skip_special_tokens=False),
                "decoded_no_cleanup": tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False),
                "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
            }
        decode_cases.append(rec)

    return {
        "description": "Prompt construction (native Florence2Processor._construct_prompts) and tokenization for "
                       "every Florence task, with input_ids for the tiny (unpadded) tokenizer used by the tiny model "
                       "fixture and for the padded real-id tokenizer.",
        "versions": _versions(),
        "tokenizers": {
            "tiny": {**tok_info(tiny_tok, "tiny"),
                     "files": "tools/reference/make_tokenizer.py build_tokenizer(out, pad_base_vocab=False) "
                              "(identical to test/fixtures/tiny/tokenizer.json when that fixture is built from it)"},
            "padded": {**tok_info(pad_tok, "padded"),
                       "files": "tools/reference/make_tokenizer.py build_tokenizer(out, pad_base_vocab=True); "
                                "special/added ids equal the real Florence-2 ids, plain-text BPE ids do not"},
        },
        "notes": [
            "input_ids are what the native processor produces when called with an image, minus the 577 leading "
            "<image> placeholder ids (native prepends '<image>'*577 + '<s>' + prompt + '</s>' and tokenizes with "
            "add_special_tokens=False). Our ONNX contract concatenates the 577 image features in front of the "
            "text embeddings instead, with an all-ones attention mask for them. same_as_tokenizer_call says "
            "whether tokenizer(prompt) with the RobertaProcessing post-processor gives the same ids.",
            "Called WITHOUT an image, the native processor tokenizes with add_special_tokens=False and so "
            "returns no <s>/</s> at all (native quirk; not used here).",
            "Prompt rules (native): a no-input task token must be the whole text (else ValueError); for a "
            "with-input task, input = text.replace(task, '').strip() and the template's {input} is replaced; "
            "text without a task token is used unchanged (not stripped).",
            "Region strings: bins = clamp(floor(v*1000/size), 0, 999) per coordinate (x with width, y with "
            "height), computed in float64 with integer/half-integer pixel coordinates (exact). "
            "bins_native_quantize_float64/float32 are transformers' Florence2PostProcessor.quantize given a "
            "float64/float32 tensor (it computes v / (size/1000)); at exact bin boundaries float32 gives one "
            "bin lower (e.g. x=32 on a 256-wide image: 125 exact, 124 native float32).",
            "attention_mask is all ones (single unpadded prompt).",
            "decode_cases: text -> ids with tokenizer(text, add_special_tokens=False) (added tokens matched "
            "first, the rest BPE-encoded), and ids -> text with the native tokenizer decode: 'decoded' with "
            "skip_special_tokens=False and the configured clean_up_tokenization_spaces=true (' .'->'.', ' ,'->',', "
            "' ?'->'?', ' !'->'!', \" 's\"->\"'s\" etc.), 'decoded_no_cleanup' with cleanup off, "
            "'decoded_skip_special' with all special/added tokens removed.",
        ],
        "quantize_cases": quant_cases,
        "cases": cases,
        "decode_cases": decode_cases,
    }


# ============================================================================================
# postprocess.json
# ============================================================================================


@contextlib.contextmanager
def float_dequantize():
    """Run the native dequantize code WITHOUT its final .int() truncation and in float64.

    Florence2PostProcessor.dequantize computes ((bins + 0.5) * (size / 1000)).int() on an int64
    tensor (the arithmetic happens in torch's default dtype float32).  Inside this context
    torch's default dtype is float64 (so int64 + 0.5 -> float64) and Tensor.int returns the tensor
    unchanged, so the very same source lines yield float64 bin centres (k + 0.5) * (size / 1000).
    """
    import torch

    old_dtype = torch.get_default_dtype()
    old_int = torch.Tensor.int
    torch.set_default_dtype(torch.float64)
    torch.Tensor.int = lambda self, *a, **k: self  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.Tensor.int = old_int  # type: ignore[method-assign]
        torch.set_default_dtype(old_dtype)


def _walk_numbers(a: Any, b: Any, fn) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_walk_numbers(a[k], b[k], fn) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_walk_numbers(x, y, fn) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        return fn(a, b)
    return a == b


def make_postprocess(p_tiny) -> dict[str, Any]:
    import re

    cases = []
    for cid, task, size, text, note in gc.POSTPROCESS_CASES:
        ptype = mt.TASKS_ANSWER_POST_PROCESSING_TYPE.get(task, "pure_text")
        native = p_tiny.post_process_generation(text, task=task, image_size=tuple(size))
        with float_dequantize():
            flt = p_tiny.post_process_generation(text, task=task, image_size=tuple(size))
        assert list(native.keys()) == [task] and list(flt.keys()) == [task]
        nv, fv = native[task], flt[task]
        # same structure; native ints == trunc(float)?
        trunc_equal = _walk_numbers(nv, fv, lambda a, b: isinstance(a, int) and a == math.trunc(b))
        # every float is a bin centre (k+0.5)*(size/1000), k in the text's loc values
        bins = {int(k) for k in re.findall(r"<loc_(\d+)>", text)}
        centres = {(k + 0.5) * (s / 1000) for k in bins for s in size}
        assert _walk_numbers(fv, fv, lambda a, b: isinstance(a, float) and a in centres), cid
        cases.append({
            "id": cid,
            "task": task,
            "post_processing_type": ptype,
            "image_size": list(size),
            "text": text,
            "expected_native_int": nv,
            "expected_float": fv,
            "native_int_equals_trunc_of_float": trunc_equal,
            "note": note,
        })
    return {
        "description": "Post-processing goldens: constructed decoded generations (special tokens kept) and the "
                       "native transformers Florence2Processor.post_process_generation results.",
        "versions": _versions(),
        "notes": [
            "Our TypeScript post-processing follows the FLOAT bin-centre rule of Microsoft's original code "
            "(x = (k + 0.5) * W / 1000, y = (k + 0.5) * H / 1000 in original-image pixels, no truncation). "
            "Tests should compare TS results with expected_float (numbers with a relative tolerance of ~1e-9; "
            "labels/strings exactly); expected_native_int is the native transformers output (coordinates "
            "truncated to int) and is kept for reference / int-parity tests (Math.trunc of our floats equals "
            "it wherever native_int_equals_trunc_of_float is true).",
            "expected_float is produced by the SAME native code path with the dequantize step's truncation "
            "disabled: inside a context torch.set_default_dtype(torch.float64) and torch.Tensor.int = identity, "
            "so Florence2PostProcessor.dequantize returns (bins + 0.5) * (size / 1000) in float64. Each "
            "value was checked to be exactly (k + 0.5) * (size_axis / 1000) for a bin k of the text.",
            "native expected_native_int computes in float32 before truncating; in rare cases where a bin centre "
            "is an exact integer, float32 rounding could make trunc differ (flag native_int_equals_trunc_of_float).",
            "image_size is [width, height] of the ORIGINAL image. Output shapes per post_processing_type: "
            "pure_text -> string; description_with_bboxes/bboxes/phrase_grounding -> {bboxes: [[x1,y1,x2,y2]], "
            "labels: [string]}; ocr -> {quad_boxes: [[x1,y1,...,x4,y4]], labels}; polygons -> {polygons: "
            "[instance][polygon][x,y,x,y,...], labels}; description_with_bboxes_or_polygons -> {bboxes, "
            "bboxes_labels, polygons, polygons_labels}. The result object is keyed by the task string.",
            "Native behaviours captured here (differ from the original Microsoft processor in places): pure_text removes <s> and "
            "</s> then trims, but keeps <pad>; all structured parsers remove <s>, </s>, <pad>; OCR labels are "
            "trimmed and not ASCII-filtered; box/grounding/polygon-phrase labels are trimmed and ASCII-filtered; "
            "phrase-grounding labels in the black-list are dropped; loc runs without a preceding phrase are "
            "dropped for OD/DENSE/grounding/OVD; trailing 1-3 loc tokens are ignored; odd polygon coordinate "
            "counts drop the last value.",
        ],
        "cases": cases,
    }


# ============================================================================================


def _check_tiny_fixture(tiny_dir: str) -> str:
    fixture = os.path.join(TINY_MODEL_DIR, "tokenizer.json")
    if not os.path.exists(fixture):
        return "test/fixtures/tiny/tokenizer.json not present (goldens use a freshly built tiny tokenizer)"
    a = json.load(open(fixture, encoding="utf-8"))
    b = json.load(open(os.path.join(tiny_dir, "tokenizer.json"), encoding="utf-8"))
    same = a["model"]["vocab"] == b["model"]["vocab"] and a["model"]["merges"] == b["model"]["merges"] and \
        [(t["id"], t["content"]) for t in a["added_tokens"]] == [(t["id"], t["content"]) for t in b["added_tokens"]]
    if not same:
        raise SystemExit("test/fixtures/tiny/tokenizer.json differs from build_tokenizer(pad_base_vocab=False)")
    return "test/fixtures/tiny/tokenizer.json has the same vocab/merges/added tokens"


def main(argv: list[str] | None = None) -> None:
    import time

    ap = argparse.ArgumentParser(description="regenerate images + preprocessing/prompts/postprocess goldens")
    ap.add_argument("--skip-images", action="store_true", help="do not rewrite test/fixtures/images")
    args = ap.parse_args(argv)
    t0 = time.time()
    if not args.skip_images:
        import make_images

        make_images.main(["--out", IMAGES_DIR])
    with tempfile.TemporaryDirectory() as tmp:
        tiny_dir = os.path.join(tmp, "tiny")
        pad_dir = os.path.join(tmp, "padded")
        mt.build_tokenizer(tiny_dir, pad_base_vocab=False)
        mt.build_tokenizer(pad_dir, pad_base_vocab=True)
        print(_check_tiny_fixture(tiny_dir))
        p_tiny = load_native_processor(tiny_dir)
        p_pad = load_native_processor(pad_dir)
        pre = make_preprocessing()
        _write_json(os.path.join(GOLDENS_DIR, "preprocessing.json"), pre)
        prompts = make_prompts(p_tiny, p_pad)
        _write_json(os.path.join(GOLDENS_DIR, "prompts.json"), prompts)
        post = make_postprocess(p_tiny)
        _write_json(os.path.join(GOLDENS_DIR, "postprocess.json"), post)
    print(f"preprocessing: {len(pre['images'])} images; prompts: {len(prompts['cases'])} cases; "
          f"postprocess: {len(post['cases'])} cases; {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
