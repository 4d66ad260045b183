"""Build the random-weight native Florence-2 model and the PyTorch reference computations.

Shared by ``export_model.py`` (ONNX export + checks) and ``make_fixtures.py`` (goldens).

Layout used everywhere (docs/onnx-contract.md#8-data-flow-between-the-sessions, identical to
transformers.js):
  encoder inputs_embeds = concat([image_features (577 tokens), embed_tokens(prompt ids)], axis 1)
  encoder attention mask = concat([ones(577), prompt attention mask])
  the decoder's cross-attention uses that same mask.

transformers' native model instead prefixes the prompt with 577 ``<image>`` placeholder ids and
masked-scatters the image features into them; with the placeholders' attention mask = 1 this is the
same computation.  ``check_native_placeholder_equivalence`` verifies that on every export.

Python is only used offline to make fixtures; never at runtime.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from presets import Preset, native_config  # noqa: E402

NUM_IMAGE_TOKENS = 577
# Std of the random logits we aim for (tied embedding std = LOGIT_STD / sqrt(d_model)).
LOGIT_STD = 2.5


# --------------------------------------------------------------------------------------------
# model construction
# --------------------------------------------------------------------------------------------


def init_random_weights(model: nn.Module, seed: int, d_model: int, qk_gain: float = 1.0,
                        cross_out_gain: float = 1.0) -> None:
    """Deterministic random init (independent of transformers' own init code).

    * Linear / Conv weights ~ N(0, 1/fan_in)  (unit-gain; the default 0.02 makes near-uniform logits)
    * biases ~ N(0, 0.02^2); LayerNorm gamma ~ 1 + N(0, 0.1^2), beta ~ N(0, 0.05^2)
      (non-trivial, so a dropped bias / norm parameter in an export is detected by the checks)
    * token embedding, LM head (untied, see presets.native_config) and the BART learned positions
      ~ N(0, (2.5/sqrt(d))^2) -> logits have a std of about 2.5 (peaked, non-degenerate)
    * text-model q_proj / k_proj weights get an extra gain ``qk_gain`` (sharper attention, so the
      prompt visibly changes the output); the decoder cross-attention out_proj gets ``cross_out_gain``
      (a smaller encoder-context term keeps deep decoders sensitive to their input token)
    * DaViT 2-D position tables ~ N(0, 0.1^2)
    """
    gen = torch.Generator().manual_seed(seed)
    ln_params: set[int] = set()
    for mod in model.modules():
        if isinstance(mod, nn.LayerNorm):
            ln_params.add(id(mod.weight))
            ln_params.add(id(mod.bias))
    emb_std = LOGIT_STD / math.sqrt(d_model)

    def normal(shape: torch.Size, std: float) -> torch.Tensor:
        return torch.randn(shape, generator=gen, dtype=torch.float32) * std

    with torch.no_grad():
        for name, p in model.named_parameters():  # tied parameters are listed once
            if id(p) in ln_params:
                if name.endswith("weight"):
                    p.copy_(1.0 + normal(p.shape, 0.1))
                else:
                    p.copy_(normal(p.shape, 0.05))
            elif name.endswith("shared.weight") or "embed_positions" in name or name == "lm_head.weight":
                p.copy_(normal(p.shape, emb_std))
            elif "image_position_embed" in name:
                p.copy_(normal(p.shape, 0.1))
            elif p.ndim == 1:
                p.copy_(normal(p.shape, 0.02))
            else:
                fan_in = int(np.prod(p.shape[1:]))
                gain = qk_gain if ("language_model" in name and (".q_proj." in name or ".k_proj." in name)) else 1.0
                if "decoder" in name and ".encoder_attn.out_proj." in name:
                    gain *= cross_out_gain
                p.copy_(normal(p.shape, gain / math.sqrt(fan_in)))


def build_native_model(preset: Preset, tokenizer_vocab_size: int):
    """Native Florence2ForConditionalGeneration with the padded vocabulary (<image> + pad to 64)."""
    from transformers import Florence2ForConditionalGeneration

    cfg = native_config(preset, tokenizer_vocab_size)
    torch.manual_seed(preset.seed)
    model = Florence2ForConditionalGeneration(cfg)
    init_random_weights(model, preset.seed, preset.d_model, preset.qk_gain, preset.cross_out_gain)
    assert model.lm_head.weight is not model.model.language_model.shared.weight
    model.eval()
    return model


def truncate_vocab(model, vocab_size: int) -> None:
    """Drop the embedding / LM-head rows >= vocab_size (``<image>`` and the pad-to-64 rows), so logits
    have exactly the tokenizer's width (the ONNX contract).  Written once, in the exporter."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))
    from florence2_export import truncate_vocab as truncate

    truncate(model, vocab_size)


# --------------------------------------------------------------------------------------------
# reference computations (PyTorch, native modules)
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def ref_image_features(model, pixel_values: torch.Tensor) -> torch.Tensor:
    return model.model.get_image_features(pixel_values)


@torch.no_grad()
def ref_encoder_inputs(model, image_features: torch.Tensor, input_ids: torch.Tensor,
                       attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    text = model.get_input_embeddings()(input_ids)
    embeds = torch.cat([image_features, text], dim=1)
    mask = torch.cat([torch.ones(image_features.shape[:2], dtype=attention_mask.dtype), attention_mask], dim=1)
    return embeds, mask


@torch.no_grad()
def ref_encoder(model, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    out = model.model.language_model.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                             return_dict=True)
    return out.last_hidden_state


def encoder_outputs_obj(last_hidden_state: torch.Tensor):
    from transformers.modeling_outputs import BaseModelOutput

    return BaseModelOutput(last_hidden_state=last_hidden_state)


@torch.no_grad()
def ref_decoder_step(model, encoder_hidden_states, encoder_mask, decoder_input_ids, past=None):
    """One native forward of the decoder + LM head.  Returns (logits, past_key_values cache)."""
    out = model(
        encoder_outputs=encoder_outputs_obj(encoder_hidden_states),
        attention_mask=encoder_mask,
        decoder_input_ids=decoder_input_ids,
        past_key_values=past,
        use_cache=True,
        return_dict=True,
    )
    return out.logits, out.past_key_values


def cache_tensors(cache) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(self_k, self_v, cross_k, cross_v) per layer from a native EncoderDecoderCache."""
    res = []
    sa, ca = cache.self_attention_cache, cache.cross_attention_cache
    for i in range(len(sa.layers)):
        res.append((sa.layers[i].keys, sa.layers[i].values, ca.layers[i].keys, ca.layers[i].values))
    return res


@torch.no_grad()
def check_native_placeholder_equivalence(model, pixel_values: torch.Tensor, input_ids: torch.Tensor,
                                         image_token_id: int, vocab_size: int) -> dict[str, float]:
    """Native path (577 <image> placeholders + masked_scatter, mask all ones) vs the ONNX-contract
    layout (concat image features + text embeds, mask ones(577)++text mask).  Must run on the
    un-truncated model (the placeholder id must be embeddable).  Returns max abs diffs."""
    b, t = input_ids.shape
    ph = torch.full((b, NUM_IMAGE_TOKENS), image_token_id, dtype=torch.long)
    native_ids = torch.cat([ph, input_ids], dim=1)
    native_mask = torch.ones_like(native_ids)
    dec = torch.full((b, 1), model.config.text_config.decoder_start_token_id, dtype=torch.long)
    out_native = model(input_ids=native_ids, pixel_values=pixel_values, attention_mask=native_mask,
                       decoder_input_ids=dec, use_cache=False, return_dict=True)
    feats = ref_image_features(model, pixel_values)
    embeds, mask = ref_encoder_inputs(model, feats, input_ids, torch.ones_like(input_ids))
    enc = ref_encoder(model, embeds, mask)
    logits, _ = ref_decoder_step(model, enc, mask, dec)
    return {
        "encoder_last_hidden_state": float((out_native.encoder_last_hidden_state - enc).abs().max()),
        "first_step_logits": float((out_native.logits[..., :vocab_size] - logits[..., :vocab_size]).abs().max()),
    }


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def load_image(path: str):
    """PIL open -> EXIF transpose -> RGB (the reference preprocessing entry point)."""
    from PIL import Image, ImageOps

    img = Image.open(path)
    img = ImageOps.exif_transpose(img)
    return img.convert("RGB")


def synthetic_image(seed: int, size: tuple[int, int] = (640, 480)):
    """Deterministic synthetic RGB test image (used only when no test image is available)."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)),
                     ((xx + yy) * 255 // max(w + h - 2, 1))], axis=-1).astype(np.uint8)
    img = Image.fromarray(base, "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        x1, y1 = x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(20, h // 2))
        d.rectangle([x0, y0, x1, y1], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def to_torch(batch: dict[str, Any]) -> dict[str, torch.Tensor]:
    return {k: torch.as_tensor(np.asarray(v)) for k, v in batch.items()}
