"""Reference cases for models/generation: Hugging Face transformers' real `generate()` driven by a
fake model whose logits are a seeded hash of (request seed, decoder prefix).

Run (from the repository root):  tools/reference/.venv/bin/python tools/reference/make_beam_cases.py
Writes: test/fixtures/generation/beam-cases.json (committed; models/generation/beam-search.hf.test.ts
replays it).

Why a hash and not a stored table: the logits of every prefix that any search might visit are then
computable on both sides without storing them. The function uses only 32-bit integer ops and
dyadic fractions, so Python and TypeScript produce bit-identical float32 logits (the TS twin is
`fakeLogits` in test/support/generation/fake-stepper.ts; keep the two in sync).

The fake model is decoder-only with the prompt [[2]] per request, which gives exactly the
encoder-decoder situation of Florence-2 (decoder start token 2, decoder prompt length 1): the same
logits processors (no-repeat-ngram over the whole sequence, forced BOS when the length is 1,
forced EOS at max_length - 1), the same stopping criteria and the same `_beam_search` code.
Row r of a flattened batch belongs to request r // num_beams (HF repeat_interleaves the prompt).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
import transformers
from torch import nn
from transformers import GenerationConfig, GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

MASK32 = 0xFFFFFFFF
EOS = 2
PAD = 1
BOS = 0
START = 2


def mix32(h: int, x: int) -> int:
    h = (h ^ x) & MASK32
    h = (h * 0x01000193) & MASK32
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & MASK32
    h ^= h >> 12
    return h


def fake_logits(spec: dict, seed: int, prefix: list[int]) -> list[float]:
    """Mirror of fakeLogits() in fake-stepper.ts."""
    context = prefix if spec["context"] == 0 else prefix[-spec["context"] :]
    h = mix32(seed & MASK32, 0x5BD1E995)
    for t in context:
        h = mix32(h, t + 1)
    scale = spec["scale"]
    out = []
    for v in range(spec["vocab"]):
        x = mix32(h, (0x9E3779B9 ^ v) & MASK32)
        value = ((x >> 8) - (1 << 23)) * scale / (1 << 24)
        if v == EOS:
            value += spec["eosBias"] * (len(prefix) - 1)
        out.append(value)
    return out


class FakeConfig(PretrainedConfig):
    model_type = "fake-hash-lm"


class FakeLM(PreTrainedModel, GenerationMixin):
    config_class = FakeConfig

    def __init__(self, config: FakeConfig, spec: dict, seeds: list[int], rows_per_request: int):
        super().__init__(config)
        self.dummy = nn.Parameter(torch.zeros(1))
        self.spec = spec
        self.seeds = seeds
        self.rows_per_request = rows_per_request

    def forward(self, input_ids: torch.Tensor, **_kwargs) -> CausalLMOutputWithPast:
        rows, length = input_ids.shape
        logits = torch.zeros(rows, length, self.spec["vocab"], dtype=torch.float32)
        for r in range(rows):
            seed = self.seeds[r // self.rows_per_request]
            logits[r, -1] = torch.tensor(fake_logits(self.spec, seed, input_ids[r].tolist()), dtype=torch.float32)
        return CausalLMOutputWithPast(logits=logits)

    def prepare_inputs_for_generation(self, input_ids: torch.Tensor, **_kwargs) -> dict:
        return {"input_ids": input_ids}


def f32(x: float) -> float:
    """Shortest decimal that round-trips the float32 value (keeps the JSON small)."""
    return float(str(np.float32(x)))


def trim(seq: list[int]) -> list[int]:
    """Cuts HF's right padding: keep up to the first EOS after the start token."""
    for i in range(1, len(seq)):
        if seq[i] == EOS:
            return seq[: i + 1]
    return seq


def run_case(case: dict) -> dict:
    spec = case["model"]
    params = case["params"]
    seeds = case["seeds"]
    k = params["numBeams"]
    config = FakeConfig(vocab_size=spec["vocab"], bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD)
    model = FakeLM(config, spec, seeds, k)
    model.eval()
    gen = GenerationConfig(
        num_beams=k,
        do_sample=False,
        max_new_tokens=params["maxNewTokens"],
        early_stopping=params["earlyStopping"],
        length_penalty=params["lengthPenalty"],
        no_repeat_ngram_size=params["noRepeatNgramSize"],
        forced_bos_token_id=BOS if params["forcedBos"] else None,
        forced_eos_token_id=EOS if params["forcedEos"] else None,
        bos_token_id=BOS,
        eos_token_id=EOS,
        pad_token_id=PAD,
        use_cache=False,
        return_dict_in_generate=True,
        output_scores=True,
        output_logits=True,
    )
    input_ids = torch.full((len(seeds), 1), START, dtype=torch.long)
    with torch.no_grad():
        out = model.generate(input_ids=input_ids, generation_config=gen)
    results = []
    if k > 1:
        transition = model.compute_transition_scores(out.sequences, out.scores, out.beam_indices, normalize_logits=False)
        for i in range(len(seeds)):
            seq = trim(out.sequences[i].tolist())
            results.append(
                {
                    "tokens": seq,
                    "score": f32(out.sequences_scores[i]),
                    "logprobs": [f32(x) for x in transition[i, : len(seq) - 1]],
                }
            )
    else:
        # Greedy: HF's transition scores are processed raw logits; our contract is log_softmax of the
        # raw logits at the chosen token, and 0 for a forced token. Computed here independently.
        max_length = 1 + params["maxNewTokens"]
        for i in range(len(seeds)):
            seq = trim(out.sequences[i].tolist())
            lps = []
            for step in range(len(seq) - 1):
                cur_len = step + 1
                forced = (params["forcedBos"] and cur_len == 1) or (params["forcedEos"] and cur_len == max_length - 1)
                raw = out.logits[step][i]
                lps.append(0.0 if forced else f32(torch.log_softmax(raw, dim=-1)[seq[step + 1]]))
            results.append({"tokens": seq, "logprobs": lps})
    return {**case, "expected": results}


def make_cases() -> list[dict]:
    cases = []
    base_model = {"vocab": 24, "context": 0, "scale": 8, "eosBias": 0.25}
    markov = {"vocab": 16, "context": 1, "scale": 8, "eosBias": 0.125}
    base_params = {
        "numBeams": 3,
        "maxNewTokens": 14,
        "earlyStopping": True,
        "lengthPenalty": 1.0,
        "noRepeatNgramSize": 3,
        "forcedBos": True,
        "forcedEos": True,
    }
    variants = [
        ("K3 early=true lp=1", {}),
        ("K3 early=false lp=1", {"earlyStopping": False}),
        ("K3 early=false lp=2", {"earlyStopping": False, "lengthPenalty": 2.0}),
        ("K3 early=true lp=2", {"lengthPenalty": 2.0}),
        ("K3 early=never lp=1", {"earlyStopping": "never"}),
        ("K3 early=never lp=2", {"earlyStopping": "never", "lengthPenalty": 2.0}),
        ("K3 early=false lp=0.5", {"earlyStopping": False, "lengthPenalty": 0.5}),
        ("K2 early=true lp=1", {"numBeams": 2}),
        ("K2 early=false lp=2", {"numBeams": 2, "earlyStopping": False, "lengthPenalty": 2.0}),
        ("K4 early=false lp=1", {"numBeams": 4, "earlyStopping": False}),
        ("K3 no ngram", {"noRepeatNgramSize": 0}),
        ("K3 no forced tokens", {"forcedBos": False, "forcedEos": False}),
        ("K3 short max_new_tokens=4", {"maxNewTokens": 4}),
        ("K3 max_new_tokens=1", {"maxNewTokens": 1}),
        ("greedy", {"numBeams": 1}),
        ("greedy no forced tokens", {"numBeams": 1, "forcedBos": False, "forcedEos": False}),
    ]
    seed_sets = [[11], [12], [101, 202]]
    for name, override in variants:
        for model_name, model in (("hash", base_model), ("markov", markov)):
            for seeds in seed_sets:
                cases.append(
                    {
                        "name": f"{name} / {model_name} / seeds {seeds}",
                        "model": model,
                        "params": {**base_params, **override},
                        "seeds": seeds,
                    }
                )
    return cases


def main() -> None:
    repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    cases = [run_case(c) for c in make_cases()]
    doc = {
        "generator": "tools/reference/make_beam_cases.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "cases": cases,
    }
    path = os.path.join(repo, "test", "fixtures", "generation", "beam-cases.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
