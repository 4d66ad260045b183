"""Table-driven tests of the original -> native name mapping and layout detection (no torch needed).

    python3 -m unittest discover -s tools/export -p 'test_*.py'      (or: pytest tools/export)

The rows are the renames transformers' own Florence-2 conversion script applies to Microsoft's checkpoints,
written out literally, one per kind of weight.
"""

from __future__ import annotations

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from original_layout import (  # noqa: E402
    NATIVE,
    ORIGINAL,
    LayoutError,
    convert_state_dict,
    detect_layout,
    native_config_dicts,
    native_name,
)

ROWS = [
    ("vision_tower.convs.0.proj.weight", "model.vision_tower.convs.0.conv.weight"),
    ("vision_tower.convs.3.proj.bias", "model.vision_tower.convs.3.conv.bias"),
    ("vision_tower.convs.2.norm.weight", "model.vision_tower.convs.2.norm.weight"),
    ("vision_tower.blocks.0.0.spatial_block.conv1.fn.dw.weight", "model.vision_tower.blocks.0.0.spatial_block.conv1.weight"),
    ("vision_tower.blocks.2.8.spatial_block.conv2.fn.dw.bias", "model.vision_tower.blocks.2.8.spatial_block.conv2.bias"),
    ("vision_tower.blocks.1.0.spatial_block.window_attn.norm.weight", "model.vision_tower.blocks.1.0.spatial_block.norm1.weight"),
    ("vision_tower.blocks.1.0.spatial_block.window_attn.fn.qkv.weight",
     "model.vision_tower.blocks.1.0.spatial_block.window_attn.qkv.weight"),
    ("vision_tower.blocks.1.0.spatial_block.window_attn.fn.proj.bias",
     "model.vision_tower.blocks.1.0.spatial_block.window_attn.proj.bias"),
    ("vision_tower.blocks.3.0.spatial_block.ffn.norm.bias", "model.vision_tower.blocks.3.0.spatial_block.norm2.bias"),
    ("vision_tower.blocks.3.0.spatial_block.ffn.fn.net.fc1.weight", "model.vision_tower.blocks.3.0.spatial_block.ffn.fc1.weight"),
    ("vision_tower.blocks.3.0.spatial_block.ffn.fn.net.fc2.bias", "model.vision_tower.blocks.3.0.spatial_block.ffn.fc2.bias"),
    ("vision_tower.blocks.2.3.channel_block.conv1.fn.dw.weight", "model.vision_tower.blocks.2.3.channel_block.conv1.weight"),
    ("vision_tower.blocks.2.3.channel_block.channel_attn.norm.weight", "model.vision_tower.blocks.2.3.channel_block.norm1.weight"),
    ("vision_tower.blocks.2.3.channel_block.channel_attn.fn.qkv.weight",
     "model.vision_tower.blocks.2.3.channel_block.channel_attn.qkv.weight"),
    ("vision_tower.blocks.2.3.channel_block.channel_attn.fn.proj.weight",
     "model.vision_tower.blocks.2.3.channel_block.channel_attn.proj.weight"),
    ("vision_tower.blocks.2.3.channel_block.ffn.norm.weight", "model.vision_tower.blocks.2.3.channel_block.norm2.weight"),
    ("vision_tower.blocks.2.3.channel_block.ffn.fn.net.fc2.weight", "model.vision_tower.blocks.2.3.channel_block.ffn.fc2.weight"),
    ("image_projection", "model.multi_modal_projector.image_projection.weight"),
    ("image_proj_norm.bias", "model.multi_modal_projector.image_proj_norm.bias"),
    ("image_pos_embed.row_embeddings.weight", "model.multi_modal_projector.image_position_embed.row_embeddings.weight"),
    ("image_pos_embed.column_embeddings.weight", "model.multi_modal_projector.image_position_embed.column_embeddings.weight"),
    ("visual_temporal_embed.pos_idx_to_embed", "model.multi_modal_projector.visual_temporal_embed.pos_idx_to_embed"),
    ("language_model.model.shared.weight", "model.language_model.shared.weight"),
    ("language_model.model.encoder.layers.5.self_attn.k_proj.weight", "model.language_model.encoder.layers.5.self_attn.k_proj.weight"),
    ("language_model.model.decoder.layers.0.encoder_attn.out_proj.bias",
     "model.language_model.decoder.layers.0.encoder_attn.out_proj.bias"),
    ("language_model.model.decoder.layernorm_embedding.weight", "model.language_model.decoder.layernorm_embedding.weight"),
    ("language_model.lm_head.weight", "lm_head.weight"),
]

UNMAPPED = [
    "vision_tower.head.weight",  # removed from the original model at construction; never in a checkpoint
    "vision_tower.blocks.0.0.spatial_block.window_attn.fn.relative_bias",
    "language_model.lm_head.bias",
    "model.language_model.shared.weight",  # a native name is not an original one
]


class NameTable(unittest.TestCase):
    def test_rows(self):
        for original, native in ROWS:
            with self.subTest(original=original):
                self.assertEqual(native_name(original), native)

    def test_unmapped(self):
        for name in UNMAPPED:
            with self.subTest(name=name):
                self.assertIsNone(native_name(name))

    def test_convert_transposes_projection_and_drops_zero_bias(self):
        sd = {"image_projection": [[1, 2]], "language_model.final_logits_bias": 0, "image_proj_norm.weight": "w"}
        out = convert_state_dict(sd, transpose=lambda t: ("T", t), is_zero=lambda t: t == 0)
        self.assertEqual(out.state_dict, {"model.multi_modal_projector.image_projection.weight": ("T", [[1, 2]]),
                                          "model.multi_modal_projector.image_proj_norm.weight": "w"})
        self.assertEqual(out.dropped, ["language_model.final_logits_bias"])

    def test_convert_refuses_nonzero_logits_bias(self):
        with self.assertRaisesRegex(LayoutError, "final_logits_bias must be all zeros"):
            convert_state_dict({"language_model.final_logits_bias": 1}, transpose=lambda t: t, is_zero=lambda t: t == 0)

    def test_convert_lists_every_unmapped_name(self):
        sd = {n: 0 for n in UNMAPPED} | {ROWS[0][0]: 0}
        with self.assertRaises(LayoutError) as ctx:
            convert_state_dict(sd, transpose=lambda t: t, is_zero=lambda t: True)
        msg = str(ctx.exception)
        self.assertIn(f"{len(UNMAPPED)} weight name(s)", msg)
        for name in UNMAPPED:
            self.assertIn(name, msg)
        self.assertNotIn(ROWS[0][0] + ",", msg)


class Detection(unittest.TestCase):
    CASES = [
        ({"model_type": "florence2", "text_config": {"model_type": "bart"}, "vision_config": {"embed_dim": [1]}}, NATIVE),
        ({"model_type": "florence2", "auto_map": {"AutoConfig": "configuration_florence2.Florence2Config"}}, ORIGINAL),
        ({"model_type": "florence2", "vision_config": {"model_type": "davit"}}, ORIGINAL),
        ({"model_type": "florence2", "vision_config": {"dim_embed": [1]}}, ORIGINAL),
        ({"model_type": "florence2", "text_config": {"model_type": "florence2_language"}}, ORIGINAL),
        ({"architectures": ["Florence2ForConditionalGeneration"], "text_config": {"model_type": "bart"}}, NATIVE),
    ]

    def test_cases(self):
        for config, layout in self.CASES:
            with self.subTest(config=config):
                self.assertEqual(detect_layout(config), layout)

    def test_weight_names_break_the_tie(self):
        self.assertEqual(detect_layout({"model_type": "florence2"}, ["language_model.model.shared.weight"]), ORIGINAL)

    def test_not_florence2(self):
        for config in ({"model_type": "bart"}, {}, {"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"]}):
            with self.subTest(config=config), self.assertRaisesRegex(LayoutError, 'a Florence-2 checkpoint has "model_type": "florence2"'):
                detect_layout(config)


class ConfigConversion(unittest.TestCase):
    ORIGINAL_CONFIG = {
        "model_type": "florence2", "projection_dim": 768, "vocab_size": 51289,
        "text_config": {"model_type": "florence2_language", "d_model": 768, "vocab_size": 51289},
        "vision_config": {"model_type": "davit", "dim_embed": [128, 256, 512, 1024], "depths": [1, 1, 9, 1],
                          "num_heads": [4, 8, 16, 32], "num_groups": [4, 8, 16, 32], "window_size": 12,
                          "enable_checkpoint": False, "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": 50},
                          "visual_temporal_embedding": {"type": "COSINE", "max_temporal_embeddings": 100}},
    }

    def test_base_config(self):
        text, vision, extras = native_config_dicts(self.ORIGINAL_CONFIG)
        self.assertEqual(vision["embed_dim"], [128, 256, 512, 1024])
        self.assertEqual((vision["max_position_embeddings"], vision["max_temporal_embeddings"]), (50, 100))
        self.assertNotIn("enable_checkpoint", vision)
        self.assertNotIn("model_type", text)
        self.assertEqual(text["vocab_size"], 51289)
        self.assertEqual(vision["projection_dim"], 768)
        self.assertTrue(extras["tie_word_embeddings"])  # the original BART head is tied unless the config says otherwise

    def test_missing_vision_fields(self):
        bad = {**self.ORIGINAL_CONFIG, "vision_config": {"model_type": "davit", "depths": [1]}}
        with self.assertRaisesRegex(LayoutError, "lacks embed_dim, num_heads, num_groups"):
            native_config_dicts(bad)


if __name__ == "__main__":
    unittest.main()
