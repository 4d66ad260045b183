"""The pre-write check: the exported ONNX chain against PyTorch, on the checkpoint's own weights.

Both sides run the same greedy loop (decoder start token 2, plain argmax, no forced tokens) for a few
task prompts on one image: PyTorch through the native modules (vision tower, BART encoder, decoder
with its KV cache), ONNX Runtime through the four sessions (docs/onnx-contract.md#8-data-flow-between-the-sessions).
Reported per task: the max |logits difference| over every step, and whether the greedy tokens are
identical.  A dtype variant (fp16 / q8) is run through the same loop and must give finite outputs;
its differences to fp32 are reported, not judged (quantization changes numbers by design).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

SESSIONS = ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"]
SUFFIXES = {"fp32": "", "fp16": "_fp16", "q8": "_quantized"}
# prompts of three tasks (docs/florence2-contract.md#2-tasks): the checks run each one
CHECK_TASKS = {
    "<CAPTION>": "What does the image describe?",
    "<OD>": "Locate the objects with category name in the image.",
    "<OCR>": "What is the text in the image?",
}
DECODER_START = 2


class OrtChain:
    """The four sessions of one dtype, run like the engine runs them (batch 1)."""

    def __init__(self, onnx_dir: str, suffix: str = "", threads: int = 2):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.log_severity_level = 3
        self.s = {n: ort.InferenceSession(os.path.join(onnx_dir, f"{n}{suffix}.onnx"), so,
                                          providers=["CPUExecutionProvider"]) for n in SESSIONS}
        dec = self.s["decoder_model_merged"]
        self.past = [(i.name, i.shape) for i in dec.get_inputs() if i.name.startswith("past_key_values.")]
        self.present = [o.name for o in dec.get_outputs()]

    def encode(self, pixel_values: np.ndarray, ids: np.ndarray) -> dict[str, np.ndarray]:
        feats = self.s["vision_encoder"].run(None, {"pixel_values": pixel_values})[0]
        emb = self.s["embed_tokens"].run(None, {"input_ids": ids})[0]
        mask = np.ones((1, feats.shape[1] + ids.shape[1]), dtype=np.int64)
        enc = self.s["encoder_model"].run(None, {"inputs_embeds": np.concatenate([feats, emb], 1), "attention_mask": mask})[0]
        return {"image_features": feats, "inputs_embeds": emb, "last_hidden_state": enc, "mask": mask}

    def greedy(self, pixel_values: np.ndarray, ids: np.ndarray, steps: int) -> tuple[list[int], list[np.ndarray], dict[str, np.ndarray]]:
        e = self.encode(pixel_values, ids)
        outputs = {k: v for k, v in e.items() if k != "mask"}
        tok, cache, tokens, logits_per_step = DECODER_START, None, [], []
        for _ in range(steps):
            emb = self.s["embed_tokens"].run(None, {"input_ids": np.array([[tok]], dtype=np.int64)})[0]
            feed = {"inputs_embeds": emb, "encoder_hidden_states": e["last_hidden_state"],
                    "encoder_attention_mask": e["mask"], "use_cache_branch": np.array([cache is not None])}
            for name, shape in self.past:
                if cache is None:
                    feed[name] = np.zeros((1, shape[1], 0, shape[3]), dtype=np.float32)
                else:
                    feed[name] = cache[name]
            out = dict(zip(self.present, self.s["decoder_model_merged"].run(None, feed)))
            logits = out["logits"][0, -1]
            new_cache = {}
            for name, _ in self.past:
                pres = out[name.replace("past_key_values.", "present.")]
                # the cached branch returns empty cross K/V: keep the step-0 ones
                new_cache[name] = cache[name] if cache is not None and ".encoder." in name else pres
            cache = new_cache
            logits_per_step.append(logits)
            tok = int(np.argmax(logits))
            tokens.append(tok)
        outputs["logits"] = np.stack(logits_per_step)
        return tokens, logits_per_step, outputs


@torch.no_grad()
def torch_greedy(model, pixel_values: torch.Tensor, ids: torch.Tensor, steps: int) -> tuple[list[int], list[np.ndarray]]:
    from transformers.modeling_outputs import BaseModelOutput

    feats = model.model.get_image_features(pixel_values)
    emb = torch.cat([feats, model.get_input_embeddings()(ids)], 1)
    mask = torch.ones(emb.shape[:2], dtype=torch.long)
    enc = model.model.language_model.encoder(inputs_embeds=emb, attention_mask=mask, return_dict=True).last_hidden_state
    tok, past, tokens, logits_per_step = DECODER_START, None, [], []
    for _ in range(steps):
        out = model(encoder_outputs=BaseModelOutput(last_hidden_state=enc), attention_mask=mask,
                    decoder_input_ids=torch.tensor([[tok]]), past_key_values=past, use_cache=True, return_dict=True)
        past = out.past_key_values
        logits = out.logits[0, -1].float().numpy()
        logits_per_step.append(logits)
        tok = int(np.argmax(logits))
        tokens.append(tok)
    return tokens, logits_per_step


@dataclass
class CheckInputs:
    pixel_values: np.ndarray
    prompt_ids: dict[str, np.ndarray]
    image_label: str
    steps: int = 8


@dataclass
class CheckReport:
    tolerance: float
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(t["tokens_equal"] and t["max_abs_logits_diff"] <= self.tolerance for t in self.tasks.values())

    def lines(self) -> list[str]:
        out = []
        for task, t in self.tasks.items():
            verdict = "ok" if t["tokens_equal"] and t["max_abs_logits_diff"] <= self.tolerance else "FAILED"
            out.append(f"  {task:<10} max |logits diff| {t['max_abs_logits_diff']:.2e} (tolerance {self.tolerance:.0e}), "
                       f"greedy tokens {'identical' if t['tokens_equal'] else 'DIFFER'} over {len(t['torch_tokens'])} steps: {verdict}")
        return out


def check_fp32(model, chain: OrtChain, inputs: CheckInputs, tolerance: float) -> CheckReport:
    report = CheckReport(tolerance)
    pv_t = torch.from_numpy(inputs.pixel_values)
    for task, ids in inputs.prompt_ids.items():
        t_tokens, t_logits = torch_greedy(model, pv_t, torch.from_numpy(ids), inputs.steps)
        o_tokens, o_logits, _ = chain.greedy(inputs.pixel_values, ids, inputs.steps)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(t_logits, o_logits))
        report.tasks[task] = {"max_abs_logits_diff": diff, "tokens_equal": t_tokens == o_tokens,
                              "torch_tokens": t_tokens, "onnx_tokens": o_tokens}
    return report


def check_variant(name: str, fp32: OrtChain, variant: OrtChain, inputs: CheckInputs) -> dict[str, Any]:
    """Runs a variant on every check prompt; raises SystemExit naming the first non-finite output."""
    res: dict[str, Any] = {}
    for task, ids in inputs.prompt_ids.items():
        ref_tokens, ref_logits, _ = fp32.greedy(inputs.pixel_values, ids, inputs.steps)
        tokens, logits, outputs = variant.greedy(inputs.pixel_values, ids, inputs.steps)
        for out_name, arr in outputs.items():
            bad = int((~np.isfinite(arr)).sum())
            if bad:
                raise SystemExit(f"variant {name} refused: output {out_name} has {bad} non-finite values of {arr.size} "
                                 f"for {task}; the weights overflow this precision (export without --variants {name})")
        res[task] = {"max_abs_logits_diff_vs_fp32": max(float(np.abs(a - b).max()) for a, b in zip(ref_logits, logits)),
                     "tokens_equal_fp32": tokens == ref_tokens}
    return res
