"""Loading a local Florence-2 checkpoint folder (native or original layout) into transformers' native model,
with an optional PEFT LoRA adapter merged in.  Every refusal says what was looked for and what to fix."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import torch
from original_layout import NATIVE, ORIGINAL, LayoutError, convert_state_dict, detect_layout, native_config_dicts

# looked for in this order; an index file names the shards next to it
WEIGHT_FILES = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"]
ADAPTER_FILES = ["adapter_model.safetensors", "adapter_model.bin"]


@dataclass
class Loaded:
    model: Any
    layout: str
    weight_file: str
    notes: list[str] = field(default_factory=list)


def read_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _load_file(path: str) -> dict[str, torch.Tensor]:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


def read_state_dict(folder: str) -> tuple[dict[str, torch.Tensor], str]:
    for name in WEIGHT_FILES:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        if not name.endswith(".index.json"):
            return _load_file(path), name
        shards = sorted(set(read_json(path).get("weight_map", {}).values()))
        missing = [s for s in shards if not os.path.isfile(os.path.join(folder, s))]
        if missing:
            raise LayoutError(f"{name} names shard(s) that are not in the folder: {', '.join(missing)}")
        sd: dict[str, torch.Tensor] = {}
        for s in shards:
            sd.update(_load_file(os.path.join(folder, s)))
        return sd, name
    raise LayoutError(f"no weights in the checkpoint folder: looked for {', '.join(WEIGHT_FILES)}")


def _native_config(config: dict[str, Any], layout: str, folder: str):
    from transformers import Florence2Config

    if layout == NATIVE:
        cfg = Florence2Config.from_pretrained(folder)
    else:
        text, vision, extras = native_config_dicts(config)
        text["tie_word_embeddings"] = extras["tie_word_embeddings"]
        cfg = Florence2Config(text_config=text, vision_config=vision, **extras)
    # the ONNX export traces the eager attention code (docs in onnx_sessions.py)
    for c in (cfg, cfg.text_config, cfg.vision_config):
        c._attn_implementation = "eager"
    return cfg


def load_checkpoint(folder: str) -> Loaded:
    """The native Florence2ForConditionalGeneration with the folder's weights (float32, eval mode)."""
    from transformers import Florence2ForConditionalGeneration

    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise LayoutError(f"not a Florence-2 checkpoint folder: no config.json in {os.path.basename(os.path.abspath(folder))}")
    config = read_json(config_path)
    layout = detect_layout(config)  # raises for a folder that is not Florence-2
    if not any(os.path.isfile(os.path.join(folder, w)) for w in WEIGHT_FILES) and os.path.isfile(
            os.path.join(folder, "onnx", "decoder_model_merged.onnx")):
        raise LayoutError("this folder already holds the ONNX export (onnx/); serve it as it is: florence2 serve --model DIR")
    sd, weight_file = read_state_dict(folder)
    notes: list[str] = []
    if layout == NATIVE and any(k.startswith(("vision_tower.", "language_model.model.")) for k in sd):
        layout = ORIGINAL  # a native-looking config over original weight names
    if layout == ORIGINAL:
        conv = convert_state_dict(sd, transpose=lambda t: t.t().contiguous(), is_zero=lambda t: not bool(t.any()))
        sd = conv.state_dict
        notes += [f"dropped {n} (all zeros)" for n in conv.dropped]
    cfg = _native_config(config, layout, folder)
    model = Florence2ForConditionalGeneration(cfg)
    try:
        missing, unexpected = model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=False)
    except RuntimeError as e:  # size mismatches: config and weights disagree
        raise LayoutError(f"the weights do not fit the model config.json describes: {str(e).splitlines()[-1].strip()}") from None
    model.tie_weights()
    if unexpected:
        raise LayoutError(f"{len(unexpected)} weight(s) in {weight_file} are not part of a Florence-2 model: "
                          f"{', '.join(sorted(unexpected)[:20])}")
    # a missing tied weight (shared embedding / LM head saved once) shares storage with a loaded one
    state = model.state_dict()
    loaded_ptrs = {state[k].data_ptr() for k in sd if k in state}
    really_missing = [k for k in missing if state[k].data_ptr() not in loaded_ptrs]
    if really_missing:
        raise LayoutError(f"{len(really_missing)} weight(s) are missing from {weight_file}: {', '.join(sorted(really_missing)[:20])}")
    model.float().eval()
    return Loaded(model, layout, weight_file, notes)


def merge_adapter(model, adapter_dir: str, layout: str) -> tuple[Any, dict[str, Any]]:
    """Merges a PEFT LoRA adapter (adapter_config.json + adapter_model.*) into the model's weights."""
    from original_layout import native_name
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    cfg_path = os.path.join(adapter_dir, "adapter_config.json")
    if not os.path.isfile(cfg_path):
        raise LayoutError(f"--adapter: no adapter_config.json in {os.path.basename(os.path.abspath(adapter_dir))}; "
                          "pass the folder a PEFT adapter was saved to (save_pretrained)")
    acfg = read_json(cfg_path)
    if acfg.get("peft_type") != "LORA":
        raise LayoutError(f"--adapter: peft_type is {acfg.get('peft_type')!r}; only LoRA adapters can be merged")
    weights_file = next((f for f in ADAPTER_FILES if os.path.isfile(os.path.join(adapter_dir, f))), None)
    if weights_file is None:
        raise LayoutError(f"--adapter: no adapter weights; looked for {', '.join(ADAPTER_FILES)}")
    weights = _load_file(os.path.join(adapter_dir, weights_file))
    lcfg = LoraConfig.from_pretrained(adapter_dir)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        peft_model = get_peft_model(model, lcfg)
    except ValueError as e:
        raise LayoutError(f"--adapter does not fit this model: {e}") from None
    expected = {k for k in peft_model.state_dict() if "lora_" in k}
    renamed = {}
    prefix = "base_model.model."
    for key, value in weights.items():
        # an adapter trained on the original (trust_remote_code) model names the original modules
        if layout == ORIGINAL and key.startswith(prefix) and ".lora_" in key:
            module, _, tail = key[len(prefix):].partition(".lora_")
            mapped = native_name(module + ".weight")
            if mapped is not None and mapped.endswith(".weight"):
                key = f"{prefix}{mapped[: -len('.weight')]}.lora_{tail}"
        renamed[key] = value
    try:
        result = set_peft_model_state_dict(peft_model, renamed)
    except RuntimeError as e:
        raise LayoutError(f"--adapter does not fit this model (shapes differ): {str(e).splitlines()[-1].strip()}") from None
    unexpected = [k for k in result.unexpected_keys if "lora_" in k]
    not_loaded = sorted(k for k in result.missing_keys if k in expected)
    if unexpected or not_loaded:
        names = sorted(unexpected)[:10] or not_loaded[:10]
        raise LayoutError(f"--adapter does not fit this model: {len(unexpected)} adapter weight(s) match no module and "
                          f"{len(not_loaded)} LoRA weight(s) were not in the adapter, e.g. {', '.join(names)}")
    merged = peft_model.merge_and_unload()
    merged.eval()
    after = merged.state_dict()
    changed = [k for k in before if k in after and not torch.equal(before[k], after[k])]
    delta = max((float((after[k] - before[k]).abs().max()) for k in changed), default=0.0)
    info = {"adapter_weights": weights_file, "target_modules": lcfg.target_modules if isinstance(lcfg.target_modules, str) else sorted(lcfg.target_modules or []),
            "rank": lcfg.r, "merged_tensors": len(changed), "max_abs_weight_change": delta}
    if not changed:
        info["warning"] = "merging changed no weight (all lora_B are zero, e.g. an untrained adapter)"
    return merged, info
