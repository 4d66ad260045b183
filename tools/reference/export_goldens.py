"""Model-side goldens for the tiny random-weight Florence-2 (offline fixture tool).

Writes (paths relative to the repo root):
  test/fixtures/goldens/first-step-logits.json
  test/fixtures/goldens/generation.json

The goldens are produced by the PyTorch NATIVE model (transformers' Florence2ForConditionalGeneration
rebuilt from the preset + seed; its weights hash must equal the one recorded in
test/fixtures/tiny/config.json) with ``generate()``.  Encoder input layout = the ONNX contract
(docs/onnx-contract.md#8-data-flow-between-the-sessions) / transformers.js: concat([image_features(577), embed(prompt ids)]) with mask ones(577) ++ prompt mask;
the decoder starts from token 2 and uses that mask for cross-attention.  The native ``<image>``
placeholder path is numerically identical (checked by export_model.py on every export).

As an independent cross-check every case is also decoded with onnxruntime (Python) on the fp32 ONNX
files with a from-scratch greedy loop and a from-scratch re-implementation of transformers' beam search
(docs/generation.md#7-beam-search); whether it reproduced the golden ids is recorded per case (``ort_python_agrees``).

Python is only used offline to make fixtures; never at runtime.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from typing import Any

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import export_model as em  # noqa: E402
import export_reference as er  # noqa: E402
from presets import PRESETS  # noqa: E402

GOLDENS_DIR = os.path.join(REPO, "test", "fixtures", "goldens")
IMAGES_DIR = os.path.join(REPO, "test", "fixtures", "images")
TINY_DIR = os.path.join(REPO, "test", "fixtures", "tiny")

MAX_NEW_TOKENS = 24
NUM_BEAMS = 3
NGRAM = 3
BOS, PAD, EOS, START = 0, 1, 2, 2

# (task token, kind of extra input)
TASKS: list[tuple[str, str | None]] = [
    ("<CAPTION>", None),
    ("<DETAILED_CAPTION>", None),
    ("<MORE_DETAILED_CAPTION>", None),
    ("<OD>", None),
    ("<DENSE_REGION_CAPTION>", None),
    ("<REGION_PROPOSAL>", None),
    ("<OCR>", None),
    ("<OCR_WITH_REGION>", None),
    ("<CAPTION_TO_PHRASE_GROUNDING>", "caption"),
    ("<REFERRING_EXPRESSION_SEGMENTATION>", "expression"),
    ("<REGION_TO_SEGMENTATION>", "region"),
    ("<OPEN_VOCABULARY_DETECTION>", "phrase"),
    ("<REGION_TO_CATEGORY>", "region"),
    ("<REGION_TO_DESCRIPTION>", "region"),
    ("<REGION_TO_OCR>", "region"),
]
TEXT_INPUTS = {
    "caption": "A green car parked in front of a yellow building.",
    "expression": "a dog",
    "phrase": "a car",
}
IMAGES = [
    "coffee.jpg",
    "camera_gray.png",
    "chelsea_alpha.png",
    "rocket_exif6.jpg",
    "tiny_12x9.png",
    "panorama_2160x480.jpg",
    "astronaut_tall.webp",
]
FIRST_STEP_IMAGE = "coffee.jpg"
FIRST_STEP_TASK = "<OD>"


def _rel(p: str) -> str:
    return os.path.relpath(p, REPO).replace(os.sep, "/")


def _f(x: float, nd: int = 6) -> float | None:
    """Round for JSON (significant-ish digits); -inf/inf/nan -> None."""
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{nd}g}") if abs(x) >= 1e-3 or x == 0 else float(f"{x:.{nd}e}")


def _contains_dict(o: Any) -> bool:
    if isinstance(o, dict):
        return True
    if isinstance(o, list):
        return any(_contains_dict(x) for x in o)
    return False


def dumps(o: Any, level: int = 0) -> str:
    """JSON with dicts expanded and dict-free lists on one line (compact, diff-friendly)."""
    pad = " " * (level + 1)
    if isinstance(o, dict):
        if not o:
            return "{}"
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, level + 1)}" for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    if isinstance(o, list) and _contains_dict(o):
        return "[\n" + ",\n".join(pad + dumps(x, level + 1) for x in o) + "\n" + " " * level + "]"
    return json.dumps(o, ensure_ascii=False, separators=(",", ": ") if not isinstance(o, list) else (",", ":"))


def write_json(path: str, obj: Any) -> None:
    text = dumps(obj) + "\n"
    assert json.loads(text) == json.loads(json.dumps(obj))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import PIL
    import tokenizers
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


# --------------------------------------------------------------------------------------------
# region boxes: chosen as bin centres so floor-quantization is unambiguous
# --------------------------------------------------------------------------------------------


def region_for(idx: int, size: tuple[int, int], processor) -> dict[str, Any]:
    w, h = size
    bins = [100 + 50 * idx, 150 + 30 * idx, 600 + 40 * idx, 700 + 30 * idx]
    box = [round((bins[0] + 0.5) * w / 1000, 3), round((bins[1] + 0.5) * h / 1000, 3),
           round((bins[2] + 0.5) * w / 1000, 3), round((bins[3] + 0.5) * h / 1000, 3)]
    q = [min(999, max(0, math.floor(v / (s / 1000)))) for v, s in zip(box, (w, h, w, h))]
    nat = processor.post_processor.quantize(torch.tensor([box], dtype=torch.float64), (w, h)).tolist()[0]
    assert q == bins and [int(v) for v in nat] == bins, (box, q, nat, bins)
    return {"box_xyxy_pixels": box, "bins": bins, "loc_string": "".join(f"<loc_{b}>" for b in bins)}


# --------------------------------------------------------------------------------------------
# beam-search tracer: records the candidate score gaps of every step (near-tie detection)
# --------------------------------------------------------------------------------------------


class BeamTrace:
    """LogitsProcessor appended after the standard ones.  Re-derives the running beam scores
    exactly like transformers' beam search (top-2K of processed log-probs + running scores; drop
    candidates that hit EOS / max_length; keep top K) and records score gaps (near-tie detection).
    The reconstruction is verified against the running sequences generate() feeds back."""

    def __init__(self, num_beams: int, max_length: int):
        self.k = num_beams
        self.max_length = max_length
        self.running = None
        self.expected_seqs = None
        self.min_gaps: list[float | None] = []
        self.boundary_gaps: list[float | None] = []
        self.verified = True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        k = self.k
        v = scores.shape[-1]
        if self.running is None:
            self.running = torch.tensor([0.0] + [-1e9] * (k - 1))
        elif self.expected_seqs is not None and not torch.equal(self.expected_seqs, input_ids):
            self.verified = False
        acc = (scores.float() + self.running[:, None]).reshape(-1)
        top_vals, top_idx = torch.topk(acc, 2 * k + 1)
        tv = [float(x) for x in top_vals]
        finite = [x for x in tv if x > -1e8]
        gaps = [finite[i] - finite[i + 1] for i in range(len(finite) - 1)]
        self.min_gaps.append(min(gaps) if gaps else None)
        vals, idx = top_vals[: 2 * k], top_idx[: 2 * k]
        beam, tok = idx // v, idx % v
        cur_len = input_ids.shape[-1]
        hits = (tok == EOS) | torch.tensor(cur_len + 1 >= self.max_length)
        live = [i for i in range(2 * k) if not bool(hits[i])]
        gap = None
        if len(live) >= k:
            kth = live[k - 1]
            if tv[kth] > -1e8 and tv[kth + 1] > -1e8:
                gap = tv[kth] - tv[kth + 1]
        self.boundary_gaps.append(gap)
        masked = vals + hits.float() * -1e9
        sel = torch.topk(masked, k).indices
        self.running = masked[sel]
        self.expected_seqs = torch.cat([input_ids[beam[sel]], tok[sel, None]], dim=1)
        return scores


def generation_config(num_beams: int):
    from transformers import GenerationConfig

    return GenerationConfig(
        decoder_start_token_id=START, bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD,
        forced_bos_token_id=BOS, forced_eos_token_id=EOS, no_repeat_ngram_size=NGRAM,
        num_beams=num_beams, do_sample=False, early_stopping=True if num_beams > 1 else False,
        length_penalty=1.0, max_new_tokens=MAX_NEW_TOKENS,
    )


def _banned(seq: list[int], n: int = NGRAM) -> set[int]:
    """no_repeat_ngram (HF): tokens that would repeat an n-gram of seq (start token included)."""
    cur = len(seq)
    if cur + 1 < n:
        return set()
    ctx = tuple(seq[cur + 1 - n:])
    out = set()
    for i in range(cur - n + 1):
        if tuple(seq[i:i + n - 1]) == ctx:
            out.add(seq[i + n - 1])
    return out


@torch.no_grad()
def run_torch(model, enc, mask, num_beams: int) -> dict[str, Any]:
    from transformers import LogitsProcessorList

    gc = generation_config(num_beams)
    max_length = 1 + MAX_NEW_TOKENS
    tracer = BeamTrace(num_beams, max_length) if num_beams > 1 else None
    if num_beams > 1:
        gc.num_return_sequences = num_beams  # all finished hypotheses (row 0 = the result)
    out = model.generate(
        encoder_outputs=er.encoder_outputs_obj(enc), attention_mask=mask, generation_config=gc,
        logits_processor=LogitsProcessorList([tracer]) if tracer else None,
        return_dict_in_generate=True, output_scores=True, output_logits=True,
    )
    seq = out.sequences[0].tolist()
    if EOS in seq[1:]:  # drop the padding of a shorter best hypothesis (num_return_sequences > 1)
        seq = seq[: seq.index(EOS, 1) + 1]
    gen = seq[1:]
    n = len(gen)
    raw = torch.stack(out.logits[:n]).float()  # [steps, beams, V]
    res: dict[str, Any] = {"sequence": seq}
    if num_beams == 1:
        lp = torch.log_softmax(raw[:, 0], -1)
        proc = torch.stack(out.scores[:n])[:, 0].float()
        margins = []
        for t in range(n):
            finite = proc[t][torch.isfinite(proc[t])]
            if finite.numel() < 2:
                margins.append(None)  # forced token
            else:
                top2 = torch.topk(finite, 2).values
                margins.append(_f(top2[0] - top2[1]))
        res["logprobs"] = [_f(lp[t, gen[t]]) for t in range(n)]
        res["top2_margin"] = margins
    else:
        bidx = out.beam_indices[0, :n].tolist()
        lp = torch.log_softmax(raw, -1)
        res["logprobs"] = [_f(lp[t, bidx[t], gen[t]]) for t in range(n)]
        ts = model.compute_transition_scores(out.sequences, out.scores, out.beam_indices, normalize_logits=False)
        res["transition_scores"] = [_f(x) for x in ts[0, :n].tolist()]
        res["sequence_score"] = _f(out.sequences_scores[0], 9)
        res["beam_indices"] = bidx
        res["finished_scores"] = [_f(x, 9) for x in out.sequences_scores.tolist()]
        res["boundary_gap"] = [_f(g) if g is not None else None for g in tracer.boundary_gaps]
        res["candidate_min_gap"] = [_f(g) if g is not None else None for g in tracer.min_gaps]
        res["trace_verified"] = bool(tracer.verified)
    res["forced"] = [t == 0 or (t == MAX_NEW_TOKENS - 1) for t in range(n)]
    return res


# --------------------------------------------------------------------------------------------
# independent onnxruntime decoders (greedy / beam), same semantics as transformers
# --------------------------------------------------------------------------------------------


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _process(seq: list[int], scores: np.ndarray, max_length: int) -> np.ndarray:
    s = scores.copy()
    for t in _banned(seq):
        s[t] = -np.inf
    cur = len(seq)
    if cur == 1:
        s[:] = -np.inf
        s[BOS] = 0.0
    if cur == max_length - 1:
        s[:] = -np.inf
        s[EOS] = 0.0
    return s


def ort_greedy(ortm: em.OrtModel, enc: np.ndarray, mask: np.ndarray) -> list[int]:
    max_length = 1 + MAX_NEW_TOKENS
    seq = [START]
    past = None
    while True:
        logits, pres = ortm.decoder(ortm.embed(np.array([[seq[-1]]], dtype=np.int64)), enc, mask, past)
        past = em.OrtModel.next_past(pres, past)
        s = _process(seq, logits[0, -1], max_length)
        seq.append(int(np.argmax(s)))
        if seq[-1] == EOS or len(seq) >= max_length:
            return seq


def ort_beam(ortm: em.OrtModel, enc: np.ndarray, mask: np.ndarray, k: int = NUM_BEAMS) -> list[int]:
    """transformers' vectorized beam search (v4.5x), batch 1, length_penalty 1, early_stopping True."""
    max_length = 1 + MAX_NEW_TOKENS
    running = [[START] for _ in range(k)]
    running_scores = np.array([0.0] + [-1e9] * (k - 1), dtype=np.float32)
    finished: list[tuple[float, list[int]]] = []
    encb = np.repeat(enc, k, axis=0)
    maskb = np.repeat(mask, k, axis=0)
    past = None
    cur_len = 1
    while True:
        toks = np.array([[s[-1]] for s in running], dtype=np.int64)
        logits, pres = ortm.decoder(ortm.embed(toks), encb, maskb, past)
        past_next = em.OrtModel.next_past(pres, past)
        lp = _log_softmax(logits[:, -1])
        lp = np.stack([_process(running[b], lp[b], max_length) for b in range(k)])
        acc = (lp + running_scores[:, None]).reshape(-1)
        v = lp.shape[-1]
        order = np.argsort(-acc, kind="stable")[: 2 * k]
        cand = [(float(acc[i]), int(i // v), int(i % v)) for i in order]
        hits = [tok == EOS or cur_len + 1 >= max_length for _, _, tok in cand]
        # finished hypotheses: only among the first k candidates
        all_full = len(finished) >= k
        for r, ((score, b, tok), hit) in enumerate(zip(cand, hits)):
            if r < k and hit and not all_full:
                finished.append((score / ((cur_len + 1 - 1) ** 1.0), running[b] + [tok]))
        finished = sorted(finished, key=lambda x: -x[0])[:k]
        nxt = [(score, b, tok) for (score, b, tok), hit in zip(cand, hits) if not hit][:k]
        if len(nxt) < k:
            nxt += [(-1e9, 0, PAD)] * (k - len(nxt))
        running = [running[b] + [tok] for _, b, tok in nxt]
        running_scores = np.array([s for s, _, _ in nxt], dtype=np.float32)
        sel = np.array([b for _, b, _ in nxt])
        past = {n: (t if ".encoder." in n else t[sel]) for n, t in past_next.items()}
        cur_len += 1
        # stopping (early_stopping=True): all k finished slots filled, or nothing can continue
        if len(finished) >= k or all(hits) or cur_len >= max_length:
            break
    return finished[0][1] if finished else running[0]


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def _summary(vec: np.ndarray, head: int = 200) -> dict[str, Any]:
    vec = vec.astype(np.float64)
    top = np.argsort(-vec, kind="stable")[:10]
    return {
        "argmax": int(np.argmax(vec)),
        "max": _f(vec.max(), 9),
        "min": _f(vec.min(), 9),
        "sum": _f(vec.sum(), 9),
        "sum_abs": _f(np.abs(vec).sum(), 9),
        "top10": [[int(i), _f(vec[i], 9)] for i in top],
        f"first_{head}": [_f(x, 9) for x in vec[:head]],
    }


def make_goldens(model_dir: str = TINY_DIR, out_dir: str = GOLDENS_DIR, images: list[str] | None = None,
                 check_ort: bool = True) -> dict[str, Any]:
    import preprocessor as pp
    from goldens_native import load_native_processor, load_tokenizer

    t0 = time.time()
    torch.set_num_threads(1)  # tiny model: single-threaded is fastest (and robust on a shared CPU)
    preset = PRESETS["tiny"]
    conf = json.load(open(os.path.join(model_dir, "config.json"), encoding="utf-8"))
    processor = load_native_processor(model_dir)
    tokenizer = load_tokenizer(model_dir)
    vocab = len(tokenizer)
    model = er.build_native_model(preset, vocab)
    er.truncate_vocab(model, vocab)
    sha = em.weights_sha256(model)
    if sha != conf["florence2_reference_fixture"]["weights_sha256"]:
        raise SystemExit(f"model rebuilt from preset/seed differs from {model_dir} (weights sha256 mismatch); re-export first")
    ortm = em.OrtModel(os.path.join(model_dir, "onnx"), threads=1) if check_ort else None
    images = images or IMAGES

    cases = []
    first_step: dict[str, Any] | None = None
    n_agree = {"greedy": 0, "beam": 0, "greedy_full": 0, "beam_full": 0}
    for idx, name in enumerate(images):
        path = os.path.join(IMAGES_DIR, name)
        rgb, info = pp.load_like_user(path)
        stem = os.path.splitext(name)[0]
        resized = os.path.join(IMAGES_DIR, "resized", stem + ".png")
        region = region_for(idx, tuple(rgb.size), processor)
        feats = None
        for task, kind in TASKS:
            extra = None
            if kind == "region":
                extra = region["loc_string"]
            elif kind is not None:
                extra = TEXT_INPUTS[kind]
            text = task + (extra or "")
            pv, ids = em.prepare(processor, rgb, text)
            if feats is None:
                feats_ort = ortm.vision(pv.numpy()) if ortm is not None else None
                if os.path.exists(resized):
                    from PIL import Image

                    pv_png = pp.pixel_values_from_resized(np.array(Image.open(resized).convert("RGB")))
                    assert np.array_equal(pv_png, pv.numpy()), f"pixel_values from {resized} differ from the processor's"
                feats = er.ref_image_features(model, pv)
            emb, mask = er.ref_encoder_inputs(model, feats, ids, torch.ones_like(ids))
            enc = er.ref_encoder(model, emb, mask)
            case: dict[str, Any] = {
                "id": f"{stem}:{task}",
                "image": _rel(path),
                "resized_image": _rel(resized) if os.path.exists(resized) else None,
                "image_size_wh": list(rgb.size),
                "task": task,
                "text_input": extra,
                "processor_text": text,
                "prompt": processor._construct_prompts([text])[0],
                "region": region if kind == "region" else None,
                "input_ids": ids[0].tolist(),
            }
            enc_np = enc.numpy()
            if ortm is not None:
                enc_full = ortm.encoder(np.concatenate([feats_ort, ortm.embed(ids.numpy())], axis=1), mask.numpy())
            for mode, nb in (("greedy", 1), ("beam", NUM_BEAMS)):
                r = run_torch(model, enc, mask, nb)
                r["text"] = tokenizer.decode(r["sequence"], skip_special_tokens=False)
                if ortm is not None:
                    # independent ORT decoding: (a) fed the PyTorch encoder states (compares the
                    # decoder loop + processors), (b) the full ORT pipeline from pixel_values and
                    # input_ids (what an ONNX engine computes)
                    dec_fn = ort_greedy if nb == 1 else ort_beam
                    r["ort_python_agrees"] = dec_fn(ortm, enc_np, mask.numpy()) == r["sequence"]
                    r["ort_python_full_agrees"] = dec_fn(ortm, enc_full, mask.numpy()) == r["sequence"]
                    n_agree[mode] += int(r["ort_python_agrees"])
                    n_agree[mode + "_full"] += int(r["ort_python_full_agrees"])
                case[mode] = r
            cases.append(case)

            if name == FIRST_STEP_IMAGE and task == FIRST_STEP_TASK:
                first_step = make_first_step(model, ortm, case, pv, ids, feats, emb, mask, enc)
        print(f"  {name}: {len(TASKS)} tasks done ({time.time() - t0:.1f}s)", flush=True)

    gen = {
        "description": "Generation goldens of the tiny random-weight Florence-2 (test/fixtures/tiny), produced by "
                       "transformers' native Florence2ForConditionalGeneration.generate() in PyTorch float32.",
        "versions": versions(),
        "model": {"dir": _rel(model_dir), "preset": "tiny", "seed": preset.seed, "weights_sha256": sha,
                  "vocab_size": vocab},
        "settings": {
            "max_new_tokens": MAX_NEW_TOKENS,
            "max_length": 1 + MAX_NEW_TOKENS,
            "decoder_start_token_id": START,
            "forced_bos_token_id": BOS,
            "forced_eos_token_id": EOS,
            "eos_token_id": EOS,
            "pad_token_id": PAD,
            "no_repeat_ngram_size": NGRAM,
            "greedy": {"num_beams": 1, "do_sample": False},
            "beam": {"num_beams": NUM_BEAMS, "do_sample": False, "early_stopping": True, "length_penalty": 1.0},
            "encoder_input": "concat([image_features (577 tokens), embed_tokens(input_ids)], axis=1); "
                             "attention_mask = ones(577) ++ ones(len(input_ids)); the decoder's cross-attention uses the same mask",
            "pixel_values": "native Florence2Processor / CLIPImageProcessor (PIL bicubic) on the image loaded with "
                            "PIL.Image.open -> ImageOps.exif_transpose -> convert('RGB'); equals (bit-exact) rescale+normalize "
                            "of resized_image (the 768x768 uint8 PNG)",
            "decode": "tokenizer.decode(sequence, skip_special_tokens=False) with the model folder's tokenizer "
                      "(clean_up_tokenization_spaces=true from tokenizer_config.json)",
        },
        "notes": [
            "Random weights: texts are meaningless; EOS is rarely produced, so most sequences end with the forced </s> at max_length.",
            "sequence = [decoder_start 2, generated tokens...]; generated token t (0-based) is sequence[t+1]; step 0 is the forced <s> (0).",
            "logprobs[t] = log_softmax(raw logits of the step)[sequence[t+1]] (model distribution, before logits processors; for beam the logits of the beam the token was appended to).",
            "greedy.top2_margin[t] = top-1 minus top-2 of the PROCESSED scores (after no-repeat-ngram; forced steps -> null). A small margin marks a near-tie: an implementation whose float32 logits differ by ~1e-4 may pick the other token from there on.",
            "beam.transition_scores[t] = transformers compute_transition_scores (processed log-prob; 0.0 for forced tokens); beam.sequence_score = sum(transition_scores) / (len(sequence) - 1)^length_penalty (transformers sequences_scores).",
            "beam.boundary_gap[t] = at step t, accumulated score (sum of processed log-probs) of the num_beams-th best candidate that does not finish minus the next candidate's: the margin that decides which hypotheses survive (null when not applicable, e.g. step 0 or when every candidate finishes). A small value marks a near-tie.",
            "beam.candidate_min_gap[t] = smallest gap between adjacent candidates among the top 2*num_beams+1 accumulated scores of step t (only finite, > -1e8); more conservative than boundary_gap (also covers the order of surviving beams).",
            "beam.finished_scores = the length-normalized scores of the num_beams finished hypotheses, best first (sequence_score = finished_scores[0]); the gap between the first two decides the returned sequence. beam.beam_indices[t] = the running-beam slot (0..num_beams-1) step t's token was appended to. trace_verified: the tracer's reconstruction of the running beams matched transformers' at every step.",
            "ort_python_agrees: the same case decoded independently with onnxruntime (Python, fp32 test/fixtures/tiny/onnx files) by a from-scratch greedy loop / beam search (docs/generation.md#7-beam-search), fed the PyTorch encoder states, gives identical ids. ort_python_full_agrees: the same with the full onnxruntime pipeline (vision_encoder + embed_tokens + encoder_model from pixel_values and input_ids), i.e. what an ONNX engine computes; false marks a case decided by a float32 near-tie.",
            "region: box_xyxy_pixels are in ORIGINAL image pixels (after EXIF transpose), chosen at bin centres; bins = floor(v / (size/1000)) clamped to [0, 999] (x with width, y with height); loc_string is what follows the task token in processor_text.",
            "prompt = native _construct_prompts(processor_text); input_ids = native processor ids minus the 577 <image> placeholders (= <s> + BPE(prompt) + </s>).",
        ],
        "cases": cases,
        "summary": {"cases": len(cases), "ort_python_agrees": n_agree},
    }
    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, "generation.json"), gen)
    assert first_step is not None
    first_step["versions"] = gen["versions"]
    first_step["model"] = gen["model"]
    write_json(os.path.join(out_dir, "first-step-logits.json"), first_step)
    return {"cases": len(cases), "ort_python_agrees": n_agree, "seconds": round(time.time() - t0, 1)}


@torch.no_grad()
def make_first_step(model, ortm, case, pv, ids, feats, emb, mask, enc) -> dict[str, Any]:
    dec = torch.tensor([[START]])
    logits, cache = er.ref_decoder_step(model, enc, mask, dec)
    step0 = logits[0, -1].numpy()
    # a few cached steps: forced <s>, then greedy (no processors needed for these few steps)
    steps = []
    tok = torch.tensor([[BOS]])
    for _ in range(3):
        lg, cache = er.ref_decoder_step(model, enc, mask, tok, past=cache)
        v = lg[0, -1].numpy()
        steps.append({"input_token": int(tok[0, 0]), **_summary(v, head=50)})
        tok = torch.tensor([[int(np.argmax(v))]])
    ort_diff = None
    if ortm is not None:
        f_o = ortm.vision(pv.numpy())
        e_o = ortm.embed(ids.numpy())
        m = np.ones((1, er.NUM_IMAGE_TOKENS + ids.shape[1]), dtype=np.int64)
        enc_o = ortm.encoder(np.concatenate([f_o, e_o], 1), m)
        lo, _ = ortm.decoder(ortm.embed(dec.numpy()), enc_o, m, None)
        ort_diff = {
            "image_features": _f(np.abs(f_o - feats.numpy()).max(), 3),
            "encoder_last_hidden_state": _f(np.abs(enc_o - enc.numpy()).max(), 3),
            "logits": _f(np.abs(lo[0, -1] - step0).max(), 3),
        }
    pvn = pv.numpy().astype(np.float64)
    return {
        "description": "First decoder step of the tiny random-weight Florence-2 for one image + one prompt, from "
                       "transformers' native model in PyTorch float32 (ONNX-contract layout).",
        "tolerance": {"abs": 2e-3, "note": "max abs diff allowed for an fp32 onnxruntime engine fed the same pixel_values "
                                           "and input_ids (float32 rounding differences are amplified by the random network; "
                                           "see observed_ort_python_max_abs_diff)"},
        "observed_ort_python_max_abs_diff": ort_diff,
        "inputs": {
            "image": case["image"],
            "resized_image": case["resized_image"],
            "image_size_wh": case["image_size_wh"],
            "pixel_values_source": "rescale(1/255) + ImageNet normalize of resized_image (768x768 RGB uint8 PNG), CHW, "
                                   "float32 [1,3,768,768]; identical to the native processor on image",
            "pixel_values_stats": {"sum": _f(pvn.sum(), 9), "mean": _f(pvn.mean(), 9),
                                   "first_8": [_f(x, 9) for x in pvn.reshape(-1)[:8]]},
            "task": case["task"],
            "prompt": case["prompt"],
            "input_ids": case["input_ids"],
            "attention_mask": [1] * len(case["input_ids"]),
            "encoder_attention_mask": "ones(577 + len(input_ids))",
            "decoder_input_ids": [START],
        },
        "image_features": {"shape": list(feats.shape), "sum": _f(feats.double().sum(), 9),
                           "token0_first_8": [_f(x, 9) for x in feats[0, 0, :8].tolist()],
                           "token576_first_8": [_f(x, 9) for x in feats[0, 576, :8].tolist()]},
        "encoder_last_hidden_state": {"shape": list(enc.shape), "sum": _f(enc.double().sum(), 9),
                                      "token0_first_8": [_f(x, 9) for x in enc[0, 0, :8].tolist()],
                                      "last_token_first_8": [_f(x, 9) for x in enc[0, -1, :8].tolist()]},
        "logits": {"shape": list(logits.shape), **_summary(step0, head=200), "all": [_f(x, 9) for x in step0]},
        "cached_steps": steps,
        "notes": [
            "logits.all = the full first-step logits vector (vocab 2025), logits[0, -1, :]; first_200 repeats its head.",
            "cached_steps[i]: decoder step i+1 with the KV cache (use_cache_branch=true); input_token is the token fed "
            "(step 1: forced <s>=0, then the argmax of the previous step); same summary fields, first_50 instead of first_200.",
            "sum/sum_abs are float64 sums of the float32 values.",
        ],
    }
