"""Merging the two decoder exports into decoder_model_merged (one ONNX ``If`` on use_cache_branch, Optimum
layout; see onnx_sessions.py) and the dtype converters (fp16, int8) applied before the merge."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def past_names(num_layers: int, prefix: str) -> list[str]:
    names = []
    for i in range(num_layers):
        for kind in ("decoder", "encoder"):
            names += [f"{prefix}.{i}.{kind}.key", f"{prefix}.{i}.{kind}.value"]
    return names



# --------------------------------------------------------------------------------------------
# merging the two decoders into decoder_model_merged (ONNX If on use_cache_branch)
# --------------------------------------------------------------------------------------------


def _tensor_key(t: onnx.TensorProto) -> tuple:
    arr = numpy_helper.to_array(t)
    return (t.data_type, tuple(t.dims), hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest())


def _rename_graph(graph: onnx.GraphProto, prefix: str, keep: set[str], mapping: dict[str, str]) -> None:
    """Prefix every value name of ``graph`` (node inputs/outputs, value_info, outputs) except the
    names in ``keep`` (outer-scope inputs) and those remapped in ``mapping`` (shared initializers)."""

    def rn(name: str) -> str:
        if name == "" or name in keep:
            return name
        if name in mapping:
            return mapping[name]
        return prefix + name

    for node in graph.node:
        for j, n in enumerate(node.input):
            node.input[j] = rn(n)
        for j, n in enumerate(node.output):
            node.output[j] = rn(n)
        node.name = prefix + node.name if node.name else node.name
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                raise NotImplementedError("nested subgraphs are not expected in the decoder exports")
    for vi in graph.value_info:
        vi.name = rn(vi.name)
    for o in graph.output:
        o.name = rn(o.name)


def _topo_sort(graph: onnx.GraphProto, available: set[str]) -> None:
    """Reorder nodes topologically (the float16 converter appends its input Casts at the end)."""
    have = set(available) | {i.name for i in graph.initializer} | {""}
    pending = list(graph.node)
    ordered = []
    while pending:
        rest = []
        for node in pending:
            if all(n in have for n in node.input):
                ordered.append(node)
                have.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            raise ValueError(f"cannot sort graph {graph.name}: unresolved inputs of {rest[0].name}: "
                             f"{[n for n in rest[0].input if n not in have]}")
        pending = rest
    del graph.node[:]
    graph.node.extend(ordered)


def _value_info(name: str, elem_type: int, dims: list[Any]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem_type, dims)


def merge_decoders(no_past_path: str, with_past_path: str, out_path: str, num_layers: int, num_heads: int,
                   head_dim: int, vocab_size: int) -> None:
    no_past = onnx.load(no_past_path)
    with_past = onnx.load(with_past_path)
    assert no_past.opset_import[0].version == with_past.opset_import[0].version

    # --- shared initializers (dedup by content)
    key_to_name: dict[tuple, str] = {}
    outer_inits: list[onnx.TensorProto] = []
    maps: list[dict[str, str]] = [{}, {}]
    for gi, m in enumerate((no_past, with_past)):
        for init in m.graph.initializer:
            key = _tensor_key(init)
            if key not in key_to_name:
                new_name = f"w{len(outer_inits)}__{init.name}".replace("::", "_")
                key_to_name[key] = new_name
                t = onnx.TensorProto()
                t.CopyFrom(init)
                t.name = new_name
                outer_inits.append(t)
            maps[gi][init.name] = key_to_name[key]
        del m.graph.initializer[:]

    # --- outer inputs
    pnames = past_names(num_layers, "past_key_values")
    present = past_names(num_layers, "present")
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    outer_inputs = [
        _value_info("inputs_embeds", f32, ["batch_size", "decoder_sequence_length", num_heads * head_dim]),
        _value_info("encoder_hidden_states", f32, ["batch_size", "encoder_sequence_length", num_heads * head_dim]),
        _value_info("encoder_attention_mask", i64, ["batch_size", "encoder_sequence_length"]),
    ]
    for n in pnames:
        seq = "past_decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out"
        outer_inputs.append(_value_info(n, f32, ["batch_size", num_heads, seq, head_dim]))
    outer_inputs.append(_value_info("use_cache_branch", TensorProto.BOOL, [1]))
    keep = {vi.name for vi in outer_inputs}

    # --- with-past: add Optimum-style empty constants for present.*.encoder.*
    wp_graph = with_past.graph
    existing = {o.name for o in wp_graph.output}
    new_outputs = []
    for name in ["logits"] + present:
        if name in existing:
            new_outputs.append(next(o for o in wp_graph.output if o.name == name))
        else:
            assert ".encoder." in name
            const = helper.make_tensor("const_empty", f32, [0, num_heads, 1, head_dim], vals=[])
            wp_graph.node.append(helper.make_node("Constant", [], [name], name=f"Constant_empty_{name}", value=const))
            new_outputs.append(_value_info(name, f32, ["batch_size", num_heads, "encoder_sequence_length_out", head_dim]))
    del wp_graph.output[:]
    wp_graph.output.extend(new_outputs)
    np_graph = no_past.graph
    assert [o.name for o in np_graph.output] == ["logits"] + present, [o.name for o in np_graph.output]

    # branch graphs: no inputs (they read outer-scope names), prefixed internals
    for g in (np_graph, wp_graph):
        del g.input[:]
    _rename_graph(np_graph, "no_past/", keep, maps[0])
    _rename_graph(wp_graph, "with_past/", keep, maps[1])
    shared = {t.name for t in outer_inits}
    _topo_sort(np_graph, keep | shared)
    _topo_sort(wp_graph, keep | shared)
    np_graph.name = "decoder_no_past"
    wp_graph.name = "decoder_with_past"

    outer_outputs = [_value_info("logits", f32, ["batch_size", "decoder_sequence_length", vocab_size])]
    for n in present:
        seq = "past_decoder_sequence_length + 1" if ".decoder." in n else "encoder_sequence_length_out"
        outer_outputs.append(_value_info(n, f32, ["batch_size", num_heads, seq, head_dim]))

    if_node = helper.make_node(
        "If",
        inputs=["use_cache_branch"],  # bool [1] (a single element, as the If op requires)
        outputs=[o.name for o in outer_outputs],
        name="optimum::if",
        then_branch=wp_graph,
        else_branch=np_graph,
    )
    graph = helper.make_graph([if_node], "merged_decoder", outer_inputs, outer_outputs, initializer=outer_inits)
    model = helper.make_model(graph, opset_imports=list(no_past.opset_import), producer_name="florence2-reference-fixtures")
    model.ir_version = no_past.ir_version
    onnx.checker.check_model(model, full_check=False)
    onnx.save(model, out_path)


# --------------------------------------------------------------------------------------------
# dtype variants
# --------------------------------------------------------------------------------------------


def make_fp16(src: str, dst: str) -> None:
    """float16 weights and compute, float32 graph inputs/outputs (keep_io_types=True)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    m = onnx.load(src)
    m16 = convert_float_to_float16(m, keep_io_types=True)
    onnx.save(m16, dst)


def make_quantized(src: str, dst: str) -> None:
    """int8 dynamic quantization (weights int8, activations quantized at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=False, reduce_range=False,
                     op_types_to_quantize=["MatMul", "Gemm", "Gather"])
