"""The PyTorch reference (Hugging Face transformers' Florence-2, CPU) for the benchmark.

Rebuilds the SAME random weights as the ONNX folder (tools/reference presets, seeded) and
generates as transformers users do: processor(text, images) then model.generate. Greedy and
beam-3, exactly N new tokens (min_new_tokens = max_new_tokens). Also counts the vision
encoder's FLOPs for the roofline. Prints one BENCH_RESULT JSON line per measurement.

Run by bench/main.ts with tools/reference/.venv/bin/python; argv[1] is the SystemInput JSON.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "reference"))

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers.generation.streamers import BaseStreamer  # noqa: E402

SYSTEM = "PyTorch reference (transformers)"


def report(name: str, value: float, unit: str, detail: dict | None = None) -> None:
    m = {"system": SYSTEM, "name": name, "value": value, "unit": unit}
    if detail:
        m["detail"] = detail
    print("BENCH_RESULT " + json.dumps(m), flush=True)


class FirstToken(BaseStreamer):
    """put() gets the decoder start token first, then one call per generated token."""

    def __init__(self, start: float):
        self.start, self.calls, self.first = start, 0, None

    def put(self, value):
        self.calls += 1
        if self.calls == 2 and self.first is None:
            self.first = (time.perf_counter() - self.start) * 1000

    def end(self):
        pass


def main() -> None:
    inp = json.loads(sys.argv[1])
    plan = inp["plan"]
    torch.set_num_threads(os.cpu_count() or 1)
    import export_reference as er
    import make_tokenizer as mt
    from goldens_native import load_native_processor
    from presets import PRESETS

    t0 = time.perf_counter()
    tok_dir = tempfile.mkdtemp(prefix="florence2-bench-tok-")
    preset = PRESETS["base"]
    mt.build_tokenizer(tok_dir, pad_base_vocab=preset.pad_base_vocab)
    processor = load_native_processor(tok_dir)
    model = er.build_native_model(preset, processor.tokenizer.image_token_id)
    report("load (rebuild seeded weights)", (time.perf_counter() - t0) * 1000, "ms")
    images = [Image.open(p).convert("RGB") for p in inp["images"]]

    def generate(task: str, image: int, tokens: int, beams: int, streamer=None):
        batch = processor(text=task, images=images[image % len(images)], return_tensors="pt")
        with torch.no_grad():
            out = model.generate(**batch, max_new_tokens=tokens, min_new_tokens=tokens, num_beams=beams,
                                 do_sample=False, early_stopping=True, no_repeat_ngram_size=3, streamer=streamer)
        if out.shape[1] != tokens + 1:
            raise RuntimeError(f"generated {out.shape[1]} ids, expected {tokens + 1}")

    def timed(fn) -> tuple[float, list[int]]:
        fn()
        runs = []
        for _ in range(plan["repeats"]):
            t = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t) * 1000)
        return statistics.median(runs), [round(r) for r in runs]

    for task, tokens in (("<CAPTION>", plan["captionTokens"]), ("<OD>", plan["odTokens"])):
        for beams in (1, 3):
            ms, runs = timed(lambda: generate(task, 0, tokens, beams))
            report(f"latency {task} {'greedy' if beams == 1 else 'beam-3'} {tokens} tokens", ms, "ms", {"runs": runs})

    ttft = []
    for i in range(plan["repeats"] + 1):
        s = FirstToken(time.perf_counter())
        generate("<CAPTION>", i, plan["captionTokens"], 1, streamer=s)
        if i > 0:
            ttft.append(s.first)
    report("time to first token <CAPTION>", statistics.median(ttft), "ms", {"runs": [round(x) for x in ttft]})

    from torch.utils.flop_counter import FlopCounterMode

    pv = processor(text="<OD>", images=images[0], return_tensors="pt")["pixel_values"]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.model.get_image_features(pv)
    report("vision encoder FLOPs (torch FlopCounterMode)", counter.get_total_flops(), "FLOP")
    report("peak RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MiB")


if __name__ == "__main__":
    main()
