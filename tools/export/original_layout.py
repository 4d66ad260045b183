"""Microsoft's original Florence-2 layout (``trust_remote_code`` checkpoints) -> transformers' native layout.

Most Florence-2 fine-tunes were made from ``microsoft/Florence-2-base|large`` loaded with
``trust_remote_code=True``: their config.json carries ``auto_map`` and a DaViT ``vision_config``
(``dim_embed``, ``image_pos_embed``, ...), and their weights use the original module names
(``vision_tower.convs.0.proj.weight``, ``language_model.model.encoder...``).  This module holds the
explicit name table (the same renames transformers' own conversion script applies), the config
conversion, and the detection of which layout a folder is in.  Pure Python: no torch import, so the
table tests run anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

NATIVE = "native"
ORIGINAL = "original"

# DaViT block sub-paths: original (PreNorm / fn wrappers) -> native.  Same for spatial and channel blocks,
# except the attention module's name (window_attn / channel_attn).
_BLOCK_SUBPATHS: list[tuple[str, str]] = [
    ("conv1.fn.dw", "conv1"),
    ("conv2.fn.dw", "conv2"),
    ("{attn}.norm", "norm1"),
    ("{attn}.fn.qkv", "{attn}.qkv"),
    ("{attn}.fn.proj", "{attn}.proj"),
    ("ffn.norm", "norm2"),
    ("ffn.fn.net.fc1", "ffn.fc1"),
    ("ffn.fn.net.fc2", "ffn.fc2"),
]


def _block_rows() -> list[tuple[str, str]]:
    rows = []
    for block, attn in (("spatial_block", "window_attn"), ("channel_block", "channel_attn")):
        for old, new in _BLOCK_SUBPATHS:
            old_s, new_s = old.format(attn=attn), new.format(attn=attn)
            rows.append((
                rf"vision_tower\.blocks\.(\d+)\.(\d+)\.{block}\.{re.escape(old_s)}\.(weight|bias)",
                rf"model.vision_tower.blocks.\1.\2.{block}.{new_s}.\3",
            ))
    return rows


# (regex over the original name, native name template).  Matched in order; the first full match wins.
NAME_TABLE: list[tuple[str, str]] = [
    (r"vision_tower\.convs\.(\d+)\.proj\.(weight|bias)", r"model.vision_tower.convs.\1.conv.\2"),
    (r"vision_tower\.convs\.(\d+)\.norm\.(weight|bias)", r"model.vision_tower.convs.\1.norm.\2"),
    *_block_rows(),
    # a bare parameter [dim_embed[-1], projection_dim] in the original; a Linear (transposed) in native
    (r"image_projection", r"model.multi_modal_projector.image_projection.weight"),
    (r"image_proj_norm\.(weight|bias)", r"model.multi_modal_projector.image_proj_norm.\1"),
    (r"image_pos_embed\.(row|column)_embeddings\.weight",
     r"model.multi_modal_projector.image_position_embed.\1_embeddings.weight"),
    (r"visual_temporal_embed\.pos_idx_to_embed", r"model.multi_modal_projector.visual_temporal_embed.pos_idx_to_embed"),
    (r"language_model\.lm_head\.weight", r"lm_head.weight"),
    (r"language_model\.model\.(.+)", r"model.language_model.\1"),
]
_COMPILED = [(re.compile(p), r) for p, r in NAME_TABLE]

# original names that have no native counterpart; each must hold the value the native model implies
# (BART's final_logits_bias buffer: the native LM head has no bias, so it must be all zeros)
DROPPED = {"language_model.final_logits_bias": "all zeros (the native LM head has no bias)"}
TRANSPOSED = {"model.multi_modal_projector.image_projection.weight"}


class LayoutError(SystemExit):
    """A checkpoint folder the exporter cannot use; the message says what to fix."""


def native_name(original: str) -> str | None:
    """The native name of one original weight name, or None when the table has no row for it."""
    for pattern, template in _COMPILED:
        if pattern.fullmatch(original):
            return pattern.sub(template, original)
    return None


@dataclass
class Converted:
    state_dict: dict[str, Any]
    dropped: list[str]


def convert_state_dict(original: Mapping[str, Any], transpose: Callable[[Any], Any],
                       is_zero: Callable[[Any], bool]) -> Converted:
    """Renames every tensor of an original-layout state dict.  ``transpose`` / ``is_zero`` are passed in so
    this stays torch-free.  Raises LayoutError listing every name without a row in NAME_TABLE."""
    out: dict[str, Any] = {}
    unmapped: list[str] = []
    dropped: list[str] = []
    for name, tensor in original.items():
        if name in DROPPED:
            if not is_zero(tensor):
                raise LayoutError(f"original weight {name} must be {DROPPED[name]} to convert, but it is not")
            dropped.append(name)
            continue
        new = native_name(name)
        if new is None:
            unmapped.append(name)
            continue
        out[new] = transpose(tensor) if new in TRANSPOSED else tensor
    if unmapped:
        shown = ", ".join(sorted(unmapped)[:20]) + (f" (and {len(unmapped) - 20} more)" if len(unmapped) > 20 else "")
        raise LayoutError(f"{len(unmapped)} weight name(s) of the original Florence-2 layout have no native "
                          f"counterpart in the exporter's table (tools/export/original_layout.py): {shown}")
    return Converted(out, dropped)


def detect_layout(config: Mapping[str, Any], weight_names: list[str] | None = None) -> str:
    """NATIVE or ORIGINAL from config.json (model_type, architectures, auto_map, sub-config types), with
    the weight names as a tie-breaker.  Raises LayoutError for a folder that is not Florence-2."""
    model_type = config.get("model_type")
    archs = config.get("architectures") or []
    if model_type != "florence2" and not any("Florence2" in str(a) for a in archs):
        found = f'model_type "{model_type}"' if model_type is not None else "no model_type"
        raise LayoutError(f'config.json has {found}; a Florence-2 checkpoint has "model_type": "florence2"')
    vision = config.get("vision_config") or {}
    text = config.get("text_config") or {}
    original_signs = [
        "auto_map" in config,
        vision.get("model_type") == "davit",
        "dim_embed" in vision,
        text.get("model_type") == "florence2_language",
    ]
    if any(original_signs):
        return ORIGINAL
    if weight_names and any(n.startswith(("vision_tower.", "language_model.model.")) for n in weight_names):
        return ORIGINAL
    return NATIVE


# vision_config keys of the original config -> native Florence2VisionConfig keys (others dropped)
_VISION_RENAMES = {"dim_embed": "embed_dim", "in_chans": "in_channels"}
_VISION_KEEP = {"depths", "patch_size", "patch_stride", "patch_padding", "patch_prenorm", "num_heads", "num_groups",
                "window_size", "drop_path_rate", "mlp_ratio", "qkv_bias", "projection_dim", "in_channels", "embed_dim"}
# text_config keys that do not belong in a BartConfig
_TEXT_DROP = {"model_type", "architectures", "auto_map", "_name_or_path", "transformers_version", "torch_dtype", "dtype"}


def native_config_dicts(original: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(text, vision, top-level extras) dicts for the native Florence2Config from an original config.json."""
    vision_in = dict(original.get("vision_config") or {})
    text_in = dict(original.get("text_config") or {})
    if not vision_in or not text_in:
        raise LayoutError("config.json of the original layout needs both vision_config and text_config")
    vision = {}
    for key, value in vision_in.items():
        key = _VISION_RENAMES.get(key, key)
        if key in _VISION_KEEP:
            vision[key] = value
    missing = [k for k in ("embed_dim", "depths", "num_heads", "num_groups") if k not in vision]
    if missing:
        raise LayoutError(f"config.json vision_config lacks {', '.join(missing)} (dim_embed / depths / num_heads / "
                          "num_groups are needed to rebuild the vision tower)")
    vision["max_position_embeddings"] = int((vision_in.get("image_pos_embed") or {}).get("max_pos_embeddings", 50))
    vision["max_temporal_embeddings"] = int(
        (vision_in.get("visual_temporal_embedding") or {}).get("max_temporal_embeddings", 100))
    vision.setdefault("projection_dim", original.get("projection_dim", text_in.get("d_model")))
    text = {k: v for k, v in text_in.items() if k not in _TEXT_DROP}
    text.setdefault("vocab_size", original.get("vocab_size"))
    extras = {"tie_word_embeddings": bool(text_in.get("tie_word_embeddings", original.get("tie_word_embeddings", True)))}
    return text, vision, extras
