"""Loading refusals and tied weights (checkpoint.py), on a tiny original-layout checkpoint written here.

    python -m unittest discover -s tools/export -p 'test_*.py'

Skipped (with the reason) where torch / transformers are not installed; .ci/export-check runs it in the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import torch
    from transformers import Florence2ForConditionalGeneration  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

VOCAB = 40
TEXT = {"model_type": "florence2_language", "vocab_size": VOCAB, "d_model": 16, "encoder_layers": 1, "decoder_layers": 1,
        "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32,
        "max_position_embeddings": 64}
VISION = {"model_type": "davit", "dim_embed": [8, 16], "depths": [1, 1], "num_heads": [1, 2], "num_groups": [1, 2],
          "patch_size": [7, 3], "patch_stride": [4, 2], "patch_padding": [3, 1], "patch_prenorm": [False, True],
          "window_size": 4, "projection_dim": 16,
          "image_pos_embed": {"type": "learned_abs_2d", "max_pos_embeddings": 8},
          "visual_temporal_embedding": {"type": "COSINE", "max_temporal_embeddings": 4}}
CONFIG = {"model_type": "florence2", "auto_map": {"AutoConfig": "configuration_florence2.Florence2Config"},
          "text_config": TEXT, "vision_config": VISION}


@unittest.skipUnless(HAVE_TORCH, "needs torch and transformers (tools/export/requirements.txt)")
class LoadCheckpoint(unittest.TestCase):
    def setUp(self):
        from checkpoint import load_checkpoint
        from original_layout import native_config_dicts
        from transformers import Florence2Config, Florence2ForConditionalGeneration

        self.load = load_checkpoint
        self.dir = tempfile.mkdtemp()
        text, vision, extras = native_config_dicts(CONFIG)
        text["tie_word_embeddings"] = True
        torch.manual_seed(0)
        model = Florence2ForConditionalGeneration(Florence2Config(text_config=text, vision_config=vision, **extras))
        # the original names, via the inverse of every row the exporter knows (test_original_layout checks the rows)
        from original_layout import native_name

        candidates = self._original_names(model.state_dict().keys())
        self.sd = {}
        for orig in candidates:
            native = native_name(orig)
            t = model.state_dict()[native]
            self.sd[orig] = (t.t() if orig == "image_projection" else t).clone()
        # saved like a tied BART: the LM head and the per-stack embedding copies are not in the file
        for k in ("language_model.lm_head.weight", "language_model.model.encoder.embed_tokens.weight",
                  "language_model.model.decoder.embed_tokens.weight"):
            self.sd.pop(k, None)
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(CONFIG, f)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _original_names(native_names):
        out = []
        for n in native_names:
            if n == "lm_head.weight":
                out.append("language_model.lm_head.weight")
            elif n.startswith("model.language_model."):
                out.append("language_model.model." + n[len("model.language_model."):])
            elif n.startswith("model.multi_modal_projector."):
                rest = n[len("model.multi_modal_projector."):]
                out.append("image_projection" if rest == "image_projection.weight"
                           else rest.replace("image_position_embed.", "image_pos_embed."))
            elif ".convs." in n:
                out.append(n[len("model."):].replace(".conv.", ".proj."))
            else:
                rest = n[len("model."):]
                for new, old in (("conv1.", "conv1.fn.dw."), ("conv2.", "conv2.fn.dw."), ("norm2.", "ffn.norm."),
                                 ("ffn.fc", "ffn.fn.net.fc"), ("window_attn.qkv", "window_attn.fn.qkv"),
                                 ("window_attn.proj", "window_attn.fn.proj"), ("channel_attn.qkv", "channel_attn.fn.qkv"),
                                 ("channel_attn.proj", "channel_attn.fn.proj")):
                    if new in rest:
                        rest = rest.replace(new, old)
                        break
                else:
                    attn = "window_attn" if "spatial_block" in rest else "channel_attn"
                    rest = rest.replace("norm1.", f"{attn}.norm.")
                out.append(rest)
        return out

    def save(self):
        torch.save(self.sd, os.path.join(self.dir, "pytorch_model.bin"))

    def test_tied_head_and_embeddings_come_from_shared(self):
        self.save()
        loaded = self.load(self.dir)
        m = loaded.model
        self.assertEqual(loaded.layout, "original")
        self.assertTrue(torch.equal(m.lm_head.weight, self.sd["language_model.model.shared.weight"]))
        self.assertTrue(torch.equal(m.model.multi_modal_projector.image_projection.weight, self.sd["image_projection"].t()))

    def test_missing_weight_is_named(self):
        del self.sd["image_proj_norm.bias"]
        self.save()
        with self.assertRaisesRegex(SystemExit, r"1 weight\(s\) are missing from pytorch_model.bin: "
                                                r"model.multi_modal_projector.image_proj_norm.bias"):
            self.load(self.dir)

    def test_unknown_weight_is_named(self):
        self.sd["vision_tower.extra_head.weight"] = torch.zeros(2)
        self.save()
        with self.assertRaisesRegex(SystemExit, r"1 weight name\(s\) .* vision_tower.extra_head.weight"):
            self.load(self.dir)

    def test_shape_mismatch(self):
        self.sd["image_proj_norm.bias"] = torch.zeros(3)
        self.save()
        with self.assertRaisesRegex(SystemExit, "the weights do not fit the model config.json describes"):
            self.load(self.dir)

    def test_index_naming_a_missing_shard(self):
        with open(os.path.join(self.dir, "model.safetensors.index.json"), "w") as f:
            json.dump({"weight_map": {"image_projection": "model-00001-of-00002.safetensors"}}, f)
        with self.assertRaisesRegex(SystemExit, "names shard\\(s\\) that are not in the folder: model-00001-of-00002"):
            self.load(self.dir)

    def test_no_weights(self):
        with self.assertRaisesRegex(SystemExit, "no weights in the checkpoint folder: looked for model.safetensors"):
            self.load(self.dir)


if __name__ == "__main__":
    unittest.main()
