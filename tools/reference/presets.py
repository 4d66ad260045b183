"""Model-size presets for the random-weight Florence-2 reference fixtures (offline tool).

* ``tiny``  - committed under ``test/fixtures/tiny``: real DaViT *structure* (4 stages, window 12,
  conv patch sizes/strides/paddings/prenorm of the real config, spatial + channel blocks) with tiny
  widths; BART text model d_model 64, 2+2 layers, 4 heads, FFN 128.  768x768 input -> 577 image
  tokens.  Vocabulary = our small tokenizer WITHOUT padding (2025 ids).
* ``base`` / ``large`` - the exact microsoft/Florence-2-base / -large dimensions
  (docs/onnx-contract.md#10-sizes-of-released-checkpoints),
  tokenizer padded to the real ids (vocab 51289).  Generated on demand into an ignored folder
  (default ``.cache/models/florence-2-<preset>-random``), never committed.

Python is only used offline to make fixtures; never at runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Real Florence-2 DaViT conv-embedding geometry (same for base and large;
# docs/onnx-contract.md#10-sizes-of-released-checkpoints).
PATCH_SIZE = [7, 3, 3, 3]
PATCH_STRIDE = [4, 2, 2, 2]
PATCH_PADDING = [3, 1, 1, 1]
PATCH_PRENORM = [False, True, True, True]
WINDOW_SIZE = 12

# Special ids (text_config of the real models; docs/florence2-contract.md#62-special-tokens-and-ids).
BOS_ID = 0
PAD_ID = 1
EOS_ID = 2
DECODER_START_ID = 2
FORCED_BOS_ID = 0
FORCED_EOS_ID = 2


@dataclass(frozen=True)
class Preset:
    name: str
    # vision tower (DaViT)
    embed_dim: list[int]
    num_heads: list[int]
    num_groups: list[int]
    depths: list[int]
    # text (BART)
    d_model: int
    encoder_layers: int
    decoder_layers: int
    attention_heads: int
    ffn_dim: int
    max_position_embeddings: int
    # tokenizer: pad the BPE vocab so that special/added ids equal the real model's
    pad_base_vocab: bool
    # also write *_fp16 and *_quantized ONNX variants
    variants: bool
    # seed for torch.manual_seed (weights) - regeneration is reproducible
    seed: int = 20240613
    # text-model q/k projection init gain: sharper random attention, so that the prompt (12-20
    # tokens next to 577 image tokens) visibly changes the output (tiny: 3.0).  base/large: 1.5;
    # with 6-12 layers, 3.0 made the random network chaotic (float32 rounding differences between
    # ONNX Runtime and PyTorch grew to 0.1-0.5 in the logits)
    qk_gain: float = 1.0
    # decoder cross-attention out_proj init gain (see export_reference.init_random_weights); base/
    # large: 0.3 - with 1.0 the 6-layer decoder ignored its input token (same token until the
    # no-repeat rule banned it) and <OD> / <CAPTION> gave identical ids
    cross_out_gain: float = 1.0

    @property
    def default_out(self) -> str:
        if self.name == "tiny":
            return "test/fixtures/tiny"
        return f".cache/models/florence-2-{self.name}-random"


PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        name="tiny",
        embed_dim=[16, 32, 64, 128],
        num_heads=[2, 4, 8, 16],  # head dim 8 in every stage (real: 32)
        num_groups=[2, 4, 8, 16],  # channel-group dim 8 in every stage (real: 32)
        depths=[1, 1, 1, 1],
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        attention_heads=4,
        ffn_dim=128,
        max_position_embeddings=1024,
        pad_base_vocab=False,
        variants=True,
        qk_gain=3.0,
    ),
    "base": Preset(
        name="base",
        embed_dim=[128, 256, 512, 1024],
        num_heads=[4, 8, 16, 32],
        num_groups=[4, 8, 16, 32],
        depths=[1, 1, 9, 1],
        d_model=768,
        encoder_layers=6,
        decoder_layers=6,
        attention_heads=12,
        ffn_dim=3072,
        max_position_embeddings=1024,
        pad_base_vocab=True,
        variants=False,
        qk_gain=1.5,
        cross_out_gain=0.3,
    ),
    "large": Preset(
        name="large",
        embed_dim=[256, 512, 1024, 2048],
        num_heads=[8, 16, 32, 64],
        num_groups=[8, 16, 32, 64],
        depths=[1, 1, 9, 1],
        d_model=1024,
        encoder_layers=12,
        decoder_layers=12,
        attention_heads=16,
        ffn_dim=4096,
        max_position_embeddings=1024,
        pad_base_vocab=True,
        variants=False,
        qk_gain=1.5,
        cross_out_gain=0.3,
    ),
}


def pad_to_multiple(n: int, multiple: int = 64) -> int:
    return ((n + multiple - 1) // multiple) * multiple


def native_config(preset: Preset, tokenizer_vocab_size: int):
    """transformers' native Florence2Config for a preset.

    Mirrors the native conversion: the ``<image>`` token is appended at id = tokenizer vocab size
    (51289 for the real ids) and the embedding matrix is padded to a multiple of 64 (51328).  The
    ONNX export slices embeddings / LM head back to ``tokenizer_vocab_size`` rows.
    """
    from transformers import BartConfig, Florence2Config

    text = BartConfig(
        vocab_size=pad_to_multiple(tokenizer_vocab_size + 1, 64),
        d_model=preset.d_model,
        encoder_layers=preset.encoder_layers,
        decoder_layers=preset.decoder_layers,
        encoder_attention_heads=preset.attention_heads,
        decoder_attention_heads=preset.attention_heads,
        encoder_ffn_dim=preset.ffn_dim,
        decoder_ffn_dim=preset.ffn_dim,
        max_position_embeddings=preset.max_position_embeddings,
        activation_function="gelu",
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        scale_embedding=False,
        bos_token_id=BOS_ID,
        pad_token_id=PAD_ID,
        eos_token_id=EOS_ID,
        decoder_start_token_id=DECODER_START_ID,
        forced_bos_token_id=FORCED_BOS_ID,
        forced_eos_token_id=FORCED_EOS_ID,
        is_encoder_decoder=True,
        # untied: with random weights a tied LM head mostly echoes the input token (degenerate
        # repetitions); the ONNX decoder carries its own LM-head matrix either way
        tie_word_embeddings=False,
    )
    vision = dict(
        in_channels=3,
        depths=list(preset.depths),
        patch_size=list(PATCH_SIZE),
        patch_stride=list(PATCH_STRIDE),
        patch_padding=list(PATCH_PADDING),
        patch_prenorm=list(PATCH_PRENORM),
        embed_dim=list(preset.embed_dim),
        num_heads=list(preset.num_heads),
        num_groups=list(preset.num_groups),
        window_size=WINDOW_SIZE,
        drop_path_rate=0.0,
        mlp_ratio=4.0,
        qkv_bias=True,
        activation_function="gelu",
        projection_dim=preset.d_model,
        max_temporal_embeddings=100,
        max_position_embeddings=50,
    )
    cfg = Florence2Config(
        text_config=text.to_dict(),
        vision_config=vision,
        image_token_id=tokenizer_vocab_size,
        is_encoder_decoder=True,
    )
    cfg._attn_implementation = "eager"
    cfg.text_config._attn_implementation = "eager"
    cfg.vision_config._attn_implementation = "eager"
    return cfg


def onnx_community_config(preset: Preset, vocab_size: int) -> dict[str, Any]:
    """config.json written next to the ONNX files (onnx-community style, read by transformers.js
    and by our TS engine; docs/onnx-contract.md#31-configjson)."""
    h = preset.attention_heads
    return {
        "architectures": ["Florence2ForConditionalGeneration"],
        "model_type": "florence2",
        "is_encoder_decoder": True,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID,
        "decoder_start_token_id": DECODER_START_ID,
        "projection_dim": preset.d_model,
        "vocab_size": vocab_size,
        "torch_dtype": "float32",
        "text_config": {
            "model_type": "florence2_language",
            "vocab_size": vocab_size,
            "d_model": preset.d_model,
            "encoder_layers": preset.encoder_layers,
            "decoder_layers": preset.decoder_layers,
            "encoder_attention_heads": h,
            "decoder_attention_heads": h,
            "encoder_ffn_dim": preset.ffn_dim,
            "decoder_ffn_dim": preset.ffn_dim,
            "max_position_embeddings": preset.max_position_embeddings,
            "activation_function": "gelu",
            "scale_embedding": False,
            "normalize_before": False,
            "add_final_layer_norm": False,
            "is_encoder_decoder": True,
            "bos_token_id": BOS_ID,
            "pad_token_id": PAD_ID,
            "eos_token_id": EOS_ID,
            "decoder_start_token_id": DECODER_START_ID,
            "forced_bos_token_id": FORCED_BOS_ID,
            "forced_eos_token_id": FORCED_EOS_ID,
            "no_repeat_ngram_size": 3,
            "num_beams": 3,
            "early_stopping": True,
        },
        "vision_config": {
            "model_type": "davit",
            "dim_embed": list(preset.embed_dim),
            "num_heads": list(preset.num_heads),
            "num_groups": list(preset.num_groups),
            "depths": list(preset.depths),
            "patch_size": list(PATCH_SIZE),
            "patch_stride": list(PATCH_STRIDE),
            "patch_padding": list(PATCH_PADDING),
            "patch_prenorm": list(PATCH_PRENORM),
            "window_size": WINDOW_SIZE,
            "mlp_ratio": 4.0,
            "qkv_bias": True,
            "projection_dim": preset.d_model,
            "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": 50},
            "visual_temporal_embedding": {"type": "COSINE", "max_temporal_embeddings": 100},
            "image_feature_source": ["spatial_avg_pool", "temporal_avg_pool"],
            "image_size": [768, 768],
            "num_image_tokens": 577,
        },
        "florence2_reference_fixture": {
            "preset": preset.name,
            "seed": preset.seed,
            "random_weights": True,
            "note": "random weights (tools/reference/export_model.py); outputs are meaningless text",
        },
    }


GENERATION_CONFIG: dict[str, Any] = {
    "bos_token_id": BOS_ID,
    "decoder_start_token_id": DECODER_START_ID,
    "eos_token_id": EOS_ID,
    "forced_bos_token_id": FORCED_BOS_ID,
    "forced_eos_token_id": FORCED_EOS_ID,
    "no_repeat_ngram_size": 3,
    "num_beams": 3,
    "early_stopping": True,
    "pad_token_id": PAD_ID,
}
