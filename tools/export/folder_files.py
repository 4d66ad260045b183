"""The non-ONNX files of an exported folder (config.json, generation_config.json, preprocessor_config.json,
tokenizer files), the check inputs (image + prompts) and the staged move into place.

The serving engine's loader (docs/onnx-contract.md#31-configjson) needs: config.json with
``model_type: florence2`` and a text_config with the BART dimensions and ``vocab_size`` = the logits width;
tokenizer.json + tokenizer_config.json whose ids end at that width (no ``<image>`` token: native
checkpoints add it for their placeholder path, the ONNX layout concatenates image features instead);
preprocessor_config.json with ``size.width/height``, mean/std and ``image_seq_length``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
from typing import Any

import numpy as np

IMAGE_TOKEN = "<image>"
DEFAULT_GENERATION = {"bos_token_id": 0, "decoder_start_token_id": 2, "eos_token_id": 2, "forced_bos_token_id": 0,
                      "forced_eos_token_id": 2, "no_repeat_ngram_size": 3, "num_beams": 3, "early_stopping": True,
                      "pad_token_id": 1}


class FolderError(SystemExit):
    """A checkpoint folder whose tokenizer / processor files the exporter cannot use."""


def write_json(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_tokenizer(src: str, dst: str) -> int:
    """Copies the tokenizer files without ``<image>``; returns the vocabulary size (= logits width)."""
    tok_path = os.path.join(src, "tokenizer.json")
    if not os.path.isfile(tok_path):
        from transformers import BartTokenizerFast  # slow files only (vocab.json + merges.txt): convert once

        try:
            BartTokenizerFast.from_pretrained(src).save_pretrained(dst)
        except (OSError, ValueError, TypeError) as e:
            raise FolderError(f"no usable tokenizer in the checkpoint folder (looked for tokenizer.json, or vocab.json + "
                              f"merges.txt): {e}") from None
        src = dst
        tok_path = os.path.join(src, "tokenizer.json")
    tok = _read(tok_path)
    tok["added_tokens"] = [t for t in tok.get("added_tokens", []) if t.get("content") != IMAGE_TOKEN]
    ids = list((tok.get("model") or {}).get("vocab", {}).values()) + [t["id"] for t in tok["added_tokens"]]
    if not ids:
        raise FolderError("tokenizer.json has no vocabulary")
    vocab = max(ids) + 1
    write_json(os.path.join(dst, "tokenizer.json"), tok)
    cfg_path = os.path.join(src, "tokenizer_config.json")
    cfg = _read(cfg_path) if os.path.isfile(cfg_path) else {"tokenizer_class": "BartTokenizer"}
    decoder = cfg.get("added_tokens_decoder") or {}
    cfg["added_tokens_decoder"] = {k: v for k, v in decoder.items() if v.get("content") != IMAGE_TOKEN}
    for key in ("image_token", "extra_special_tokens", "auto_map"):
        cfg.pop(key, None)
    cfg["processor_class"] = "Florence2Processor"
    write_json(os.path.join(dst, "tokenizer_config.json"), cfg)
    stm = os.path.join(src, "special_tokens_map.json")
    if os.path.isfile(stm) and os.path.abspath(src) != os.path.abspath(dst):
        m = _read(stm)
        m.pop("image_token", None)
        write_json(os.path.join(dst, "special_tokens_map.json"), m)
    return vocab


def write_preprocessor(src: str, dst: str) -> dict[str, Any]:
    path = os.path.join(src, "preprocessor_config.json")
    if not os.path.isfile(path):
        raise FolderError("no preprocessor_config.json in the checkpoint folder (save the processor with "
                          "processor.save_pretrained next to the model)")
    cfg = _read(path)
    size = cfg.get("size") or {}
    if not isinstance(size.get("height"), int) or not isinstance(size.get("width"), int):
        raise FolderError(f"preprocessor_config.json size must give height and width (Florence-2 uses 768x768), got {size}")
    cfg.setdefault("image_seq_length", 577)
    cfg.pop("auto_map", None)
    cfg["processor_class"] = "Florence2Processor"
    cfg.setdefault("image_processor_type", "CLIPImageProcessor")
    write_json(os.path.join(dst, "preprocessor_config.json"), cfg)
    return cfg


def write_generation_config(src: str, dst: str) -> None:
    path = os.path.join(src, "generation_config.json")
    gen = dict(DEFAULT_GENERATION)
    if os.path.isfile(path):
        gen.update({k: v for k, v in _read(path).items() if k in DEFAULT_GENERATION or k == "max_length"})
    write_json(os.path.join(dst, "generation_config.json"), gen)


def onnx_community_config(model, vocab: int, provenance: dict[str, Any]) -> dict[str, Any]:
    """config.json in the onnx-community layout, from the native model's config."""
    t, v = model.config.text_config, model.config.vision_config
    ids = {"bos_token_id": t.bos_token_id if t.bos_token_id is not None else 0,
           "pad_token_id": t.pad_token_id if t.pad_token_id is not None else 1,
           "eos_token_id": t.eos_token_id if t.eos_token_id is not None else 2,
           "decoder_start_token_id": t.decoder_start_token_id if t.decoder_start_token_id is not None else 2}
    return {
        "architectures": ["Florence2ForConditionalGeneration"], "model_type": "florence2", "is_encoder_decoder": True,
        **ids, "projection_dim": v.projection_dim, "vocab_size": vocab, "torch_dtype": "float32",
        "text_config": {
            "model_type": "florence2_language", "vocab_size": vocab, "d_model": t.d_model,
            "encoder_layers": t.encoder_layers, "decoder_layers": t.decoder_layers,
            "encoder_attention_heads": t.encoder_attention_heads, "decoder_attention_heads": t.decoder_attention_heads,
            "encoder_ffn_dim": t.encoder_ffn_dim, "decoder_ffn_dim": t.decoder_ffn_dim,
            "max_position_embeddings": t.max_position_embeddings, "activation_function": t.activation_function,
            "scale_embedding": bool(t.scale_embedding), "is_encoder_decoder": True, **ids,
            "forced_bos_token_id": 0, "forced_eos_token_id": 2,
        },
        "vision_config": {
            "model_type": "davit", "dim_embed": list(v.embed_dim), "num_heads": list(v.num_heads),
            "num_groups": list(v.num_groups), "depths": list(v.depths), "patch_size": list(v.patch_size),
            "patch_stride": list(v.patch_stride), "patch_padding": list(v.patch_padding),
            "patch_prenorm": list(v.patch_prenorm), "window_size": v.window_size, "projection_dim": v.projection_dim,
            "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": v.max_position_embeddings},
            "visual_temporal_embedding": {"type": "COSINE", "max_temporal_embeddings": v.max_temporal_embeddings},
            "image_size": [768, 768], "num_image_tokens": 577,
        },
        "florence2_export": provenance,
    }


def check_image(path: str | None):
    """The check image: the given file, else a deterministic synthetic picture (gradients + rectangles)."""
    from PIL import Image, ImageDraw, ImageOps

    if path is not None:
        return ImageOps.exif_transpose(Image.open(path)).convert("RGB"), os.path.basename(path)
    rng = np.random.default_rng(7)
    w, h = 640, 480
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 // (w - 1), yy * 255 // (h - 1), (xx + yy) * 255 // (w + h - 2)], -1).astype(np.uint8)
    img = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 60))
        draw.rectangle([x0, y0, x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(20, h // 2))],
                       fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img, "synthetic"


def pixel_values(image, pre: dict[str, Any]) -> np.ndarray:
    """Bicubic resize to size, rescale, normalize (CLIPImageProcessor's steps), NCHW float32."""
    from PIL import Image

    size = (pre["size"]["width"], pre["size"]["height"])
    arr = np.asarray(image.resize(size, Image.BICUBIC), dtype=np.float32) * float(pre.get("rescale_factor", 1 / 255))
    arr = (arr - np.array(pre["image_mean"], np.float32)) / np.array(pre["image_std"], np.float32)
    return arr.transpose(2, 0, 1)[None].astype(np.float32)


def prompt_ids(tokenizer_dir: str, prompts: dict[str, str]) -> dict[str, np.ndarray]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))
    return {task: np.array([tok.encode(text).ids], dtype=np.int64) for task, text in prompts.items()}


def move_into_place(staging: str, out: str) -> list[str]:
    """Moves every staged file into OUT (config.json last: the loader needs it, so a folder is never servable
    half-written), drops variant files a previous export left that this one did not write."""
    staged = sorted(os.path.relpath(p, staging) for p in glob.glob(os.path.join(staging, "**", "*"), recursive=True)
                    if os.path.isfile(p))
    for old in glob.glob(os.path.join(out, "onnx", "*.onnx*")):
        if os.path.relpath(old, out) not in staged:
            os.remove(old)
    for rel in sorted(staged, key=lambda r: r == "config.json"):
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(os.path.join(staging, rel), dst)
    shutil.rmtree(staging)
    return staged
