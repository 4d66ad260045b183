#!/usr/bin/env python3
"""Test checkpoints for `florence2 export`, and the tokens PyTorch generates with each.

    python test/export/make_checkpoints.py OUT_DIR [--max-new-tokens 12]

Writes under OUT_DIR:
  native/    a random-weight tiny "fine-tune" (tools/reference presets, its own seed) saved with
             transformers' save_pretrained + Florence2Processor.save_pretrained (tokenizer with <image>)
  original/  the same weights renamed to Microsoft's original trust_remote_code layout: original-style
             config.json (auto_map, DaViT vision_config, florence2_language text_config), vocabulary cut to
             the tokenizer (no <image>), transposed image_projection, a zero final_logits_bias, pytorch_model.bin
  adapter/   a PEFT LoRA adapter for native/ (q_proj, v_proj, fc1, fc2: text and vision layers) with
             random non-zero lora_B, so merging changes the outputs
  expected.json  per checkpoint: the greedy <CAPTION> sequence of transformers' generate() (decoder start,
             forced BOS/EOS, no_repeat_ngram_size 3, like the serving engine) on
             test/fixtures/images/resized/coffee.png.  The adapter's tokens come from the PEFT model's own
             (unmerged) forward, so the exporter's merge is checked, not reused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "reference"))
sys.path.insert(0, os.path.join(REPO, "tools", "export"))

import export_reference as er  # noqa: E402
import make_tokenizer as mt  # noqa: E402
from original_layout import _BLOCK_SUBPATHS  # noqa: E402
from presets import PRESETS  # noqa: E402

SEED = 4242  # differs from the committed tiny fixture, so an export cannot pass by reusing it
IMAGE = os.path.join(REPO, "test", "fixtures", "images", "resized", "coffee.png")
TASK, PROMPT = "<CAPTION>", "What does the image describe?"


def original_name(native: str) -> str:
    """Inverse of the exporter's table, written independently for the test (plain string rules)."""
    if native == "lm_head.weight":
        return "language_model.lm_head.weight"
    if native.startswith("model.language_model."):
        return "language_model.model." + native[len("model.language_model."):]
    if native.startswith("model.multi_modal_projector."):
        rest = native[len("model.multi_modal_projector."):]
        if rest == "image_projection.weight":
            return "image_projection"
        return rest.replace("image_position_embed.", "image_pos_embed.")
    assert native.startswith("model.vision_tower."), native
    rest = native[len("model."):]
    parts = rest.split(".")
    if parts[1] == "convs":
        return rest.replace(".conv.", ".proj.")
    head, block, sub = ".".join(parts[:4]), parts[4], ".".join(parts[5:-1])
    attn = "window_attn" if block == "spatial_block" else "channel_attn"
    for old, new in _BLOCK_SUBPATHS:
        if sub == new.format(attn=attn):
            return f"{head}.{block}.{old.format(attn=attn)}.{parts[-1]}"
    raise AssertionError(f"no inverse for {native}")


def original_config(model, vocab: int) -> dict:
    t, v = model.config.text_config, model.config.vision_config
    text = {k: val for k, val in t.to_dict().items() if k in (
        "d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads", "decoder_attention_heads",
        "encoder_ffn_dim", "decoder_ffn_dim", "max_position_embeddings", "activation_function", "scale_embedding",
        "bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id", "forced_bos_token_id",
        "forced_eos_token_id", "dropout", "attention_dropout", "activation_dropout")}
    text.update(model_type="florence2_language", vocab_size=vocab, tie_word_embeddings=False)
    return {
        "architectures": ["Florence2ForConditionalGeneration"],
        "auto_map": {"AutoConfig": "configuration_florence2.Florence2Config",
                     "AutoModelForCausalLM": "modeling_florence2.Florence2ForConditionalGeneration"},
        "model_type": "florence2", "projection_dim": v.projection_dim, "vocab_size": vocab,
        "text_config": text,
        "vision_config": {
            "model_type": "davit", "dim_embed": list(v.embed_dim), "num_heads": list(v.num_heads),
            "num_groups": list(v.num_groups), "depths": list(v.depths), "patch_size": list(v.patch_size),
            "patch_stride": list(v.patch_stride), "patch_padding": list(v.patch_padding),
            "patch_prenorm": list(v.patch_prenorm), "window_size": v.window_size, "projection_dim": v.projection_dim,
            "drop_path_rate": 0.1, "enable_checkpoint": False, "image_feature_source": ["spatial_avg_pool", "temporal_avg_pool"],
            "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": v.max_position_embeddings},
            "visual_temporal_embedding": {"type": "COSINE", "max_temporal_embeddings": v.max_temporal_embeddings},
        },
    }


def inputs(tok_dir: str) -> tuple[torch.Tensor, torch.Tensor]:
    from PIL import Image
    from tokenizers import Tokenizer

    pre = mt.preprocessor_config()
    arr = np.asarray(Image.open(IMAGE).convert("RGB"), dtype=np.float32) * pre["rescale_factor"]
    arr = (arr - np.array(pre["image_mean"], np.float32)) / np.array(pre["image_std"], np.float32)
    ids = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json")).encode(PROMPT).ids
    return torch.from_numpy(arr.transpose(2, 0, 1)[None].copy()), torch.tensor([ids])


@torch.no_grad()
def caption_tokens(model, vocab: int, pv: torch.Tensor, ids: torch.Tensor, max_new_tokens: int) -> list[int]:
    """Greedy caption of a copy whose logits are cut to the tokenizer's ids (what gets served)."""
    import copy

    from transformers import GenerationConfig

    model = copy.deepcopy(model)
    er.truncate_vocab(model, vocab)
    feats = model.model.get_image_features(pv)
    emb, mask = er.ref_encoder_inputs(model, feats, ids, torch.ones_like(ids))
    enc = er.ref_encoder(model, emb, mask)
    gc = GenerationConfig(decoder_start_token_id=2, bos_token_id=0, eos_token_id=2, pad_token_id=1,
                          forced_bos_token_id=0, forced_eos_token_id=2, no_repeat_ngram_size=3, num_beams=1,
                          do_sample=False, max_new_tokens=max_new_tokens)
    out = model.generate(encoder_outputs=er.encoder_outputs_obj(enc), attention_mask=mask, generation_config=gc)
    return out[0].tolist()


def make_adapter(model, out: str):
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "fc1", "fc2"])
    peft_model = get_peft_model(model, cfg)
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:  # peft initialises B to zero (a no-op adapter); a trained one is not
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    peft_model.save_pretrained(out)
    return peft_model


def main(argv: list[str] | None = None) -> None:
    from goldens_native import load_native_processor
    from safetensors.torch import save_file  # noqa: F401  (requirement check)

    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--max-new-tokens", type=int, default=12)
    args = ap.parse_args(argv)
    out = os.path.abspath(args.out)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    preset = PRESETS["tiny"]
    native, original, adapter = (os.path.join(out, n) for n in ("native", "original", "adapter"))
    tok_dir = os.path.join(out, "tokenizer")
    mt.build_tokenizer(tok_dir, pad_base_vocab=False)
    mt.write_preprocessor_config(tok_dir)
    processor = load_native_processor(tok_dir)
    vocab = processor.tokenizer.image_token_id
    model = er.build_native_model(preset, vocab)
    er.init_random_weights(model, SEED, preset.d_model, preset.qk_gain, preset.cross_out_gain)
    model.eval()
    pv, ids = inputs(tok_dir)
    expected = {"task": TASK, "image": os.path.relpath(IMAGE, REPO), "max_new_tokens": args.max_new_tokens,
                "notes": ["sequence = transformers generate() output incl. decoder start token 2"]}
    expected["native"] = {"sequence": caption_tokens(model, vocab, pv, ids, args.max_new_tokens)}

    model.save_pretrained(native)
    processor.save_pretrained(native)

    # original layout: vocabulary cut to the tokenizer (Microsoft's checkpoints have no <image> row)
    os.makedirs(original, exist_ok=True)
    sd = {}
    for k, t in model.state_dict().items():
        if k.endswith(("shared.weight", "embed_tokens.weight")) or k == "lm_head.weight":
            t = t[:vocab]
        sd[original_name(k)] = (t.t() if k.endswith("image_projection.weight") else t).contiguous().clone()
    sd["language_model.final_logits_bias"] = torch.zeros(1, vocab)
    torch.save(sd, os.path.join(original, "pytorch_model.bin"))
    with open(os.path.join(original, "config.json"), "w") as f:
        json.dump(original_config(model, vocab), f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json"):
        with open(os.path.join(tok_dir, name), "rb") as src, open(os.path.join(original, name), "wb") as dst:
            dst.write(src.read())
    expected["original"] = expected["native"]

    peft_model = make_adapter(model, adapter)
    expected["adapter"] = {"sequence": caption_tokens(peft_model.base_model.model, vocab, pv, ids, args.max_new_tokens)}
    if expected["adapter"]["sequence"] == expected["native"]["sequence"]:
        raise SystemExit("the LoRA adapter did not change the caption tokens; the test would not see a missing merge")
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    print(json.dumps({k: v for k, v in expected.items() if k in ("native", "adapter")}))


if __name__ == "__main__":
    main()
