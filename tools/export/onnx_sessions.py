"""ONNX export of the four onnx-community Florence-2 sessions (used by florence2_export.py and by
the fixture tool tools/reference/export_model.py).

Sessions (docs/onnx-contract.md#4-session-inputs-and-outputs):
  onnx/vision_encoder.onnx        pixel_values f32 [batch_size,3,height,width] -> image_features [batch_size,577,d]
  onnx/embed_tokens.onnx          input_ids i64 [batch_size,sequence_length] -> inputs_embeds [batch_size,sequence_length,d]
  onnx/encoder_model.onnx         inputs_embeds, attention_mask i64 -> last_hidden_state
  onnx/decoder_model_merged.onnx  ONNX ``If`` on use_cache_branch (Optimum layout)

Exporter: torch.onnx.export with the TorchScript exporter (dynamo=False), opset 17.

The decoder is exported as two graphs and merged with the ``onnx`` API:
  * no-past graph (use_cache_branch = false): inputs_embeds, encoder_hidden_states,
    encoder_attention_mask -> logits, present.{i}.decoder.key/value (= this step's K/V),
    present.{i}.encoder.key/value (cross K/V computed from encoder_hidden_states);
  * with-past graph (use_cache_branch = true): inputs_embeds, encoder_attention_mask, all
    past_key_values.* -> logits, present.{i}.decoder.* (= concat(past, new)); its
    present.{i}.encoder.* are EMPTY constants of shape [0, H, 1, Dh], exactly like Optimum's
    ``merge_decoders`` (callers must keep the step-0 cross K/V).
Weights shared by both graphs are deduplicated into the outer graph.

The decoder wrapper below re-states BART's decoder-layer math explicitly on the NATIVE modules'
weights (q/k/v/out projections, LayerNorms, FFN, learned positions with offset 2) instead of
tracing the native forward, which goes through transformers' Cache objects (Python-side bookkeeping
such as get_seq_length / is_updated that a trace would freeze); tracing the native decoder was not
attempted.  The wrapper is checked against the native model (and ORT against it) by every export
(florence2_export.py, tools/reference/export_model.py).
"""

from __future__ import annotations

import onnx
import torch

# the merge and the dtype converters live in decoder_merge.py; re-exported here for the callers
from decoder_merge import make_fp16, make_quantized, merge_decoders, past_names  # noqa: F401
from torch import nn

OPSET = 17


# --------------------------------------------------------------------------------------------
# torch wrappers, one per session
# --------------------------------------------------------------------------------------------


class VisionEncoder(nn.Module):
    """DaViT tower + 2-D pos emb + temporal emb + pooling + projection + LayerNorm
    (= native ``get_image_features``)."""

    def __init__(self, model):
        super().__init__()
        self.inner = model.model

    def forward(self, pixel_values):
        return self.inner.get_image_features(pixel_values)


class EmbedTokens(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.embed = model.get_input_embeddings()  # BartScaledWordEmbedding (scale 1.0)

    def forward(self, input_ids):
        return self.embed(input_ids)


class TextEncoder(nn.Module):
    """Native BART encoder on precomputed inputs_embeds (positions + layernorm_embedding + layers)."""

    def __init__(self, model):
        super().__init__()
        self.encoder = model.model.language_model.encoder

    def forward(self, inputs_embeds, attention_mask):
        return self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask, return_dict=True).last_hidden_state


def _attention(q, k, v, additive_mask, scaling):
    # same op order as transformers' eager_attention_forward (BART)
    w = torch.matmul(q, k.transpose(2, 3)) * scaling
    w = w + additive_mask
    w = torch.softmax(w, dim=-1)
    return torch.matmul(w, v)


class Decoder(nn.Module):
    """BART decoder + LM head, with or without past.  Inputs/outputs are flat tensors in the
    Optimum order: per layer i: decoder.key, decoder.value, encoder.key, encoder.value."""

    def __init__(self, model, with_past: bool):
        super().__init__()
        lm = model.model.language_model
        self.decoder = lm.decoder
        self.lm_head = model.lm_head
        self.with_past = with_past
        cfg = model.config.text_config
        self.num_heads = cfg.decoder_attention_heads
        self.head_dim = cfg.d_model // cfg.decoder_attention_heads
        self.num_layers = cfg.decoder_layers

    def _split(self, x, b):
        return x.view(b, -1, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, inputs_embeds, encoder_hidden_states, encoder_attention_mask, *past):
        dec = self.decoder
        b, s = inputs_embeds.shape[0], inputs_embeds.shape[1]
        min_val = torch.finfo(inputs_embeds.dtype).min
        if self.with_past:
            past_len = past[0].shape[2]
        else:
            past_len = 0
        # learned positions (offset 2), position = number of past tokens + index
        pos_ids = torch.arange(s, dtype=torch.long) + past_len + dec.embed_positions.offset
        hidden = inputs_embeds + nn.functional.embedding(pos_ids, dec.embed_positions.weight).unsqueeze(0)
        hidden = dec.layernorm_embedding(hidden)
        # causal self-attention mask over past + new keys
        total = past_len + s
        key_pos = torch.arange(total, dtype=torch.long)
        q_pos = torch.arange(s, dtype=torch.long) + past_len
        future = key_pos.unsqueeze(0) > q_pos.unsqueeze(1)  # [s, total]
        self_mask = torch.zeros(future.shape, dtype=inputs_embeds.dtype).masked_fill(future, min_val)
        self_mask = self_mask.unsqueeze(0).unsqueeze(0)
        # cross-attention padding mask
        enc_mask = encoder_attention_mask.to(inputs_embeds.dtype)
        cross_mask = (1.0 - enc_mask).masked_fill((1.0 - enc_mask).to(torch.bool), min_val)
        cross_mask = cross_mask.unsqueeze(1).unsqueeze(1)

        presents = []
        for i, layer in enumerate(dec.layers):
            sa = layer.self_attn
            residual = hidden
            q = self._split(sa.q_proj(hidden), b)
            k = self._split(sa.k_proj(hidden), b)
            v = self._split(sa.v_proj(hidden), b)
            if self.with_past:
                k = torch.cat([past[4 * i], k], dim=2)
                v = torch.cat([past[4 * i + 1], v], dim=2)
            a = _attention(q, k, v, self_mask, sa.scaling)
            a = a.transpose(1, 2).reshape(b, s, -1)
            hidden = layer.self_attn_layer_norm(residual + sa.out_proj(a))

            ca = layer.encoder_attn
            residual = hidden
            cq = self._split(ca.q_proj(hidden), b)
            if self.with_past:
                ck, cv = past[4 * i + 2], past[4 * i + 3]
            else:
                ck = self._split(ca.k_proj(encoder_hidden_states), b)
                cv = self._split(ca.v_proj(encoder_hidden_states), b)
            a = _attention(cq, ck, cv, cross_mask, ca.scaling)
            a = a.transpose(1, 2).reshape(b, s, -1)
            hidden = layer.encoder_attn_layer_norm(residual + ca.out_proj(a))

            residual = hidden
            h = layer.fc2(layer.activation_fn(layer.fc1(hidden)))
            hidden = layer.final_layer_norm(residual + h)
            if self.with_past:
                presents += [k, v]
            else:
                presents += [k, v, ck, cv]
        logits = self.lm_head(hidden)
        return (logits, *presents)


class DecoderWithPast(nn.Module):
    """Signature without the (unused) encoder_hidden_states, for a clean with-past export."""

    def __init__(self, model):
        super().__init__()
        self.d = Decoder(model, with_past=True)

    def forward(self, inputs_embeds, encoder_attention_mask, *past):
        return self.d(inputs_embeds, None, encoder_attention_mask, *past)


# --------------------------------------------------------------------------------------------
# export helpers
# --------------------------------------------------------------------------------------------


def _export(module: nn.Module, args: tuple, path: str, input_names: list[str], output_names: list[str],
            dynamic_axes: dict[str, dict[int, str]]) -> None:
    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def export_vision(model, path: str, d_model: int) -> None:
    x = torch.randn(2, 3, 768, 768, generator=torch.Generator().manual_seed(0))
    _export(VisionEncoder(model), (x,), path, ["pixel_values"], ["image_features"],
            {"pixel_values": {0: "batch_size", 2: "height", 3: "width"}, "image_features": {0: "batch_size"}})
    # the exporter names the token axis symbolically (height/width are dynamic); the graph is only
    # valid for 768x768 input (like the real export), which always gives 577 tokens
    m = onnx.load(path)
    out = m.graph.output[0]
    assert out.name == "image_features"
    dim = out.type.tensor_type.shape.dim[1]
    dim.Clear()
    dim.dim_value = 577
    onnx.save(m, path)


def export_embed(model, path: str) -> None:
    ids = torch.tensor([[0, 5, 6, 2], [0, 7, 2, 1]], dtype=torch.long)
    _export(EmbedTokens(model), (ids,), path, ["input_ids"], ["inputs_embeds"],
            {"input_ids": {0: "batch_size", 1: "sequence_length"},
             "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})


def export_encoder(model, path: str, d_model: int) -> None:
    emb = torch.randn(2, 590, d_model, generator=torch.Generator().manual_seed(1))
    mask = torch.ones(2, 590, dtype=torch.long)
    mask[1, -3:] = 0
    _export(TextEncoder(model), (emb, mask), path, ["inputs_embeds", "attention_mask"], ["last_hidden_state"],
            {"inputs_embeds": {0: "batch_size", 1: "encoder_sequence_length"},
             "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
             "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})


def export_decoders(model, no_past_path: str, with_past_path: str) -> None:
    cfg = model.config.text_config
    d, L, H = cfg.d_model, cfg.decoder_layers, cfg.decoder_attention_heads
    dh = d // H
    g = torch.Generator().manual_seed(2)
    b, s, enc_len = 2, 2, 590
    emb = torch.randn(b, s, d, generator=g)
    enc = torch.randn(b, enc_len, d, generator=g)
    mask = torch.ones(b, enc_len, dtype=torch.long)
    mask[1, -3:] = 0
    present = past_names(L, "present")
    axes: dict[str, dict[int, str]] = {
        "inputs_embeds": {0: "batch_size", 1: "decoder_sequence_length"},
        "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
        "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size", 1: "decoder_sequence_length"},
    }
    no_past_axes = dict(axes)
    for n in present:
        no_past_axes[n] = {0: "batch_size", 2: ("decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out")}
    _export(Decoder(model, with_past=False), (emb, enc, mask), no_past_path,
            ["inputs_embeds", "encoder_hidden_states", "encoder_attention_mask"], ["logits"] + present, no_past_axes)

    past = []
    past_len = 3
    for _ in range(L):
        past += [torch.randn(b, H, past_len, dh, generator=g), torch.randn(b, H, past_len, dh, generator=g),
                 torch.randn(b, H, enc_len, dh, generator=g), torch.randn(b, H, enc_len, dh, generator=g)]
    pnames = past_names(L, "past_key_values")
    with_axes = {k: v for k, v in axes.items() if k != "encoder_hidden_states"}
    for n in pnames:
        with_axes[n] = {0: "batch_size", 2: ("past_decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out")}
    dec_present = [n for n in present if ".decoder." in n]
    for n in dec_present:
        with_axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    emb1 = emb[:, :1]
    _export(DecoderWithPast(model), (emb1, mask, *past), with_past_path,
            ["inputs_embeds", "encoder_attention_mask"] + pnames, ["logits"] + dec_present, with_axes)


