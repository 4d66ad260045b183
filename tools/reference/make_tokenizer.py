#!/usr/bin/env python3
"""Build a small Florence-2-compatible byte-level BPE tokenizer (offline fixture tool).

The tokenizer has the same *structure* as the real Florence-2 (BART) tokenizer:

* ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3,
* a byte-level BPE vocabulary trained here on a small deterministic corpus (all 256 byte
  symbols are included),
* ``<mask>``,
* the 1,024 Florence added tokens in the real order (``<od>``, ``</od>``, ``<ocr>``, ``</ocr>``,
  ``<loc_0>`` .. ``<loc_999>``, ``<cap>`` ... ``<and>``), all special, ``normalized: false``.

``pad_base_vocab=True`` pads the BPE vocabulary with unreachable filler entries so that every
special/added id equals the real model's (``<mask>``=50264, ``<od>``=50265, ``<loc_0>``=50269,
``<loc_999>``=51268, ``<and>``=51288, vocab size 51289).  Plain-text ids of course differ from the
real BART vocabulary; only the special/added ids agree.

The files never contain ``<image>``: transformers' native ``Florence2Processor`` needs it and
adds it at runtime (see ``goldens_native.load_native_processor``), exactly like transformers'
conversion script does (``tokenizer.add_tokens(AddedToken("<image>", special=True,
normalized=False))`` -> id = vocab size).  Model logits keep the width WITHOUT ``<image>``.

Usage:
    tools/reference/.venv/bin/python tools/reference/make_tokenizer.py OUT_DIR [--pad-base-vocab]
        [--preprocessor-config]

Python is used only offline to make fixtures; never at runtime.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

# --------------------------------------------------------------------------------------------
# Florence constants (docs/florence2-contract.md#2-tasks, #62-special-tokens-and-ids)
# --------------------------------------------------------------------------------------------

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]
MASK_TOKEN = "<mask>"
REAL_MASK_ID = 50264
REAL_VOCAB_SIZE = 51289
TRAIN_VOCAB_SIZE = 1000  # special tokens + 256 bytes + merges (upper bound)


def florence_added_tokens() -> list[str]:
    """The 1,024 Florence tokens in the real order (ids 50265..51288 in the real model)."""
    toks = ["<od>", "</od>", "<ocr>", "</ocr>"]
    toks += [f"<loc_{i}>" for i in range(1000)]
    toks += [
        "<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>",
        "<grounding>", "</grounding>", "<seg>", "</seg>", "<sep>",
        "<region_cap>", "</region_cap>", "<region_to_desciption>", "</region_to_desciption>",
        "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>",
    ]
    assert len(toks) == 1024
    return toks


TASK_PROMPTS_WITHOUT_INPUTS = {
    "<OCR>": "What is the text in the image?",
    "<OCR_WITH_REGION>": "What is the text in the image, with regions?",
    "<CAPTION>": "What does the image describe?",
    "<DETAILED_CAPTION>": "Describe in detail what is shown in the image.",
    "<MORE_DETAILED_CAPTION>": "Describe with a paragraph what is shown in the image.",
    "<OD>": "Locate the objects with category name in the image.",
    "<DENSE_REGION_CAPTION>": "Locate the objects in the image, with their descriptions.",
    "<REGION_PROPOSAL>": "Locate the region proposals in the image.",
}

TASK_PROMPTS_WITH_INPUT = {
    "<CAPTION_TO_PHRASE_GROUNDING>": "Locate the phrases in the caption: {input}",
    "<REFERRING_EXPRESSION_SEGMENTATION>": "Locate {input} in the image with mask",
    "<REGION_TO_SEGMENTATION>": "What is the polygon mask of region {input}",
    "<OPEN_VOCABULARY_DETECTION>": "Locate {input} in the image.",
    "<REGION_TO_CATEGORY>": "What is the region {input}?",
    "<REGION_TO_DESCRIPTION>": "What does the region {input} describe?",
    "<REGION_TO_OCR>": "What text is in the region {input}?",
}

TASKS_ANSWER_POST_PROCESSING_TYPE = {
    "<OCR>": "pure_text",
    "<OCR_WITH_REGION>": "ocr",
    "<CAPTION>": "pure_text",
    "<DETAILED_CAPTION>": "pure_text",
    "<MORE_DETAILED_CAPTION>": "pure_text",
    "<OD>": "description_with_bboxes",
    "<DENSE_REGION_CAPTION>": "description_with_bboxes",
    "<CAPTION_TO_PHRASE_GROUNDING>": "phrase_grounding",
    "<REFERRING_EXPRESSION_SEGMENTATION>": "polygons",
    "<REGION_TO_SEGMENTATION>": "polygons",
    "<OPEN_VOCABULARY_DETECTION>": "description_with_bboxes_or_polygons",
    "<REGION_TO_CATEGORY>": "pure_text",
    "<REGION_TO_DESCRIPTION>": "pure_text",
    "<REGION_TO_OCR>": "pure_text",
    "<REGION_PROPOSAL>": "bboxes",
}

# --------------------------------------------------------------------------------------------
# Training corpus (deterministic, written for this project; no external data)
# --------------------------------------------------------------------------------------------

_ENGLISH_TEXT = """\
A dog is sitting on a red couch next to a window. The dog has brown fur and a white patch on its
chest. Behind the couch there is a wooden shelf with books, a lamp and a small green plant.
A green car is parked in front of a yellow building. The car has four wheels, two doors and a
black roof. A man in a blue shirt is walking on the sidewalk, and a woman is riding a bicycle.
The image shows a cat lying on a blanket. The cat is orange with dark stripes, and its eyes are
closed. There is a cup of coffee on a saucer, a spoon, and a plate with a piece of cake.
An astronaut in a white space suit is standing in front of a flag. A rocket is on the launch pad
under a clear blue sky. A camera man is holding an old camera on a tripod in a park with grass
and trees. The photo is black and white.
A group of people are standing near a bus stop on a city street. There are traffic lights, a
stop sign, a tall building with many windows, and a parked truck. Some people are holding
umbrellas because it is raining.
On the table there is a laptop, a keyboard, a mouse, a phone and a pair of glasses. The screen
shows some text and a picture of a mountain with snow and a lake.
A boy and a girl are playing with a ball on the beach. The water is blue, the sand is yellow,
and there are boats in the distance. A bird is flying over the sea.
The sign on the door says OPEN. The book cover has the title in large letters and the name of
the author at the bottom. The label on the bottle reads FRESH ORANGE JUICE.
A horse is eating grass in a field. A fence made of wood runs along the road. A red barn and a
white house are in the background, with hills and clouds above them.
Describe the region: a person wearing a hat, a child holding a toy, a kitchen with a stove and a
sink, a bowl of fruit with apples and bananas, a bed with pillows, a chair and a clock.
What is the color of the shirt? How many people are in the picture? Where is the dog? Which
object is on the left side of the image, and which one is on the right side?
It was a sunny day. The light came through the windows and made long shadows on the floor.
In the morning the street was quiet; in the evening it was full of cars, buses and people going
home from work. Numbers: 0 1 2 3 4 5 6 7 8 9 10 12 20 24 50 100 2024 3.5 768 1000.
"""

_EXTRA_WORDS = (
    "image photo picture region regions text caption phrase phrases objects object category name "
    "detail paragraph polygon mask proposals describe description descriptions locate shown "
    "what does is the in with of a an and their this that these those which where there here "
    "person people man woman boy girl child dog cat car bus truck bicycle wheel wheels door "
    "building tree sky grass road street window table chair cup plate food cake coffee rocket "
    "astronaut camera flag logo letter letters word words sign book cover title label"
)


def build_corpus() -> list[str]:
    """Deterministic list of training lines."""
    lines: list[str] = []
    for task, prompt in TASK_PROMPTS_WITHOUT_INPUTS.items():
        lines.append(prompt)
        lines.append(task)
    for task, prompt in TASK_PROMPTS_WITH_INPUT.items():
        lines.append(prompt.replace("{input}", "a red car"))
        lines.append(prompt.replace("{input}", "the dog"))
        lines.append(task)
    lines += _ENGLISH_TEXT.splitlines()
    lines.append(_EXTRA_WORDS)
    # repeat the prompts so their words become whole tokens
    lines += [p.replace("{input}", "") for p in TASK_PROMPTS_WITH_INPUT.values()] * 4
    lines += list(TASK_PROMPTS_WITHOUT_INPUTS.values()) * 4
    return lines


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def _train_bpe() -> tuple[dict[str, int], list[tuple[str, str]]]:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TRAIN_VOCAB_SIZE,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(build_corpus(), trainer=trainer)
    data = json.loads(tok.to_str())
    vocab: dict[str, int] = data["model"]["vocab"]
    merges_raw = data["model"]["merges"]
    merges: list[tuple[str, str]] = []
    for m in merges_raw:
        a, b = (m.split(" ") if isinstance(m, str) else m)
        merges.append((a, b))
    # sanity: specials first, contiguous ids
    for i, s in enumerate(SPECIAL_TOKENS):
        assert vocab[s] == i, (s, vocab.get(s))
    assert sorted(vocab.values()) == list(range(len(vocab)))
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    assert len(alphabet) == 256 and all(ch in vocab for ch in alphabet)
    return vocab, merges


def _added(id_: int, content: str, *, special: bool, normalized: bool, lstrip: bool = False) -> dict[str, Any]:
    return {
        "id": id_,
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": normalized,
        "special": special,
    }


def build_tokenizer_json(pad_base_vocab: bool) -> dict[str, Any]:
    vocab, merges = _train_bpe()
    vocab = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    next_id = len(vocab)
    if pad_base_vocab:
        # Unreachable filler entries (no merge produces them; printable ASCII so that the
        # ByteLevel decoder maps them to themselves).
        while next_id < REAL_MASK_ID:
            vocab[f"<|filler_{next_id}|>"] = next_id
            next_id += 1
    mask_id = next_id
    vocab[MASK_TOKEN] = mask_id  # like the real BART vocab.json, <mask> is also in the model vocab
    added = [_added(i, s, special=True, normalized=True) for i, s in enumerate(SPECIAL_TOKENS)]
    added.append(_added(mask_id, MASK_TOKEN, special=True, normalized=True, lstrip=True))
    for k, s in enumerate(florence_added_tokens()):
        added.append(_added(mask_id + 1 + k, s, special=True, normalized=False))
    if pad_base_vocab:
        assert mask_id == REAL_MASK_ID and added[-1]["id"] == REAL_VOCAB_SIZE - 1

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {
            "type": "RobertaProcessing",
            "sep": ["</s>", 2],
            "cls": ["<s>", 0],
            "trim_offsets": True,
            "add_prefix_space": False,
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def build_tokenizer_config(tok_json: dict[str, Any]) -> dict[str, Any]:
    added_tokens_decoder = {}
    for t in tok_json["added_tokens"]:
        added_tokens_decoder[str(t["id"])] = {
            "content": t["content"],
            "lstrip": t["lstrip"],
            "normalized": t["normalized"],
            "rstrip": t["rstrip"],
            "single_word": t["single_word"],
            "special": t["special"],
        }
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": added_tokens_decoder,
        "additional_special_tokens": florence_added_tokens(),
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": True,
        "cls_token": "<s>",
        "eos_token": "</s>",
        "errors": "replace",
        "mask_token": "<mask>",
        "model_max_length": 1024,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "tokenizer_class": "BartTokenizer",
        "trim_offsets": True,
        "unk_token": "<unk>",
    }


def build_special_tokens_map() -> dict[str, Any]:
    def tok(content: str, *, lstrip: bool = False, normalized: bool = True) -> dict[str, Any]:
        return {"content": content, "lstrip": lstrip, "normalized": normalized, "rstrip": False, "single_word": False}

    return {
        "additional_special_tokens": [tok(t, normalized=False) for t in florence_added_tokens()],
        "bos_token": tok("<s>"),
        "cls_token": tok("<s>"),
        "eos_token": tok("</s>"),
        "mask_token": tok("<mask>", lstrip=True),
        "pad_token": tok("<pad>"),
        "sep_token": tok("</s>"),
        "unk_token": tok("<unk>"),
    }


def _write_json(path: str, obj: Any, *, indent: int | None = 2) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent)
        f.write("\n")


def build_tokenizer(out_dir: str, pad_base_vocab: bool) -> None:
    """Write tokenizer.json, tokenizer_config.json, special_tokens_map.json into out_dir."""
    from tokenizers import Tokenizer

    os.makedirs(out_dir, exist_ok=True)
    tok_json = build_tokenizer_json(pad_base_vocab)
    # validate with the tokenizers library before writing
    tok = Tokenizer.from_str(json.dumps(tok_json))
    n = tok.get_vocab_size(with_added_tokens=True)
    expected = (REAL_VOCAB_SIZE if pad_base_vocab else tok_json["added_tokens"][-1]["id"] + 1)
    assert n == expected, (n, expected)
    assert tok.token_to_id("<od>") == tok.token_to_id(MASK_TOKEN) + 1
    assert tok.encode("<loc_5>", add_special_tokens=True).ids == [0, tok.token_to_id("<loc_5>"), 2]
    _write_json(os.path.join(out_dir, "tokenizer.json"), tok_json, indent=None if pad_base_vocab else 2)
    _write_json(os.path.join(out_dir, "tokenizer_config.json"), build_tokenizer_config(tok_json))
    _write_json(os.path.join(out_dir, "special_tokens_map.json"), build_special_tokens_map())


def preprocessor_config() -> dict[str, Any]:
    """preprocessor_config.json contents as transformers.js expects them
    (docs/onnx-contract.md#33-preprocessor_configjson)."""
    return {
        "crop_size": {"height": 768, "width": 768},
        "do_center_crop": False,
        "do_convert_rgb": None,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.485, 0.456, 0.406],
        "image_processor_type": "CLIPImageProcessor",
        "image_seq_length": 577,
        "image_std": [0.229, 0.224, 0.225],
        "processor_class": "Florence2Processor",
        "resample": 3,
        "rescale_factor": 0.00392156862745098,
        "size": {"height": 768, "width": 768},
        "task_prompts_with_input": dict(TASK_PROMPTS_WITH_INPUT),
        "task_prompts_without_inputs": dict(TASK_PROMPTS_WITHOUT_INPUTS),
        "tasks_answer_post_processing_type": dict(TASKS_ANSWER_POST_PROCESSING_TYPE),
    }


def write_preprocessor_config(out_dir: str) -> None:
    """Write preprocessor_config.json (CLIPImageProcessor 768x768 + Florence task tables)."""
    os.makedirs(out_dir, exist_ok=True)
    _write_json(os.path.join(out_dir, "preprocessor_config.json"), preprocessor_config())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--pad-base-vocab", action="store_true", help="pad so that ids equal the real model")
    ap.add_argument("--preprocessor-config", action="store_true", help="also write preprocessor_config.json")
    args = ap.parse_args(argv)
    build_tokenizer(args.out_dir, args.pad_base_vocab)
    if args.preprocessor_config:
        write_preprocessor_config(args.out_dir)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(args.out_dir, "tokenizer.json"))
    print(f"wrote {args.out_dir}: vocab size {tok.get_vocab_size(with_added_tokens=True)}, "
          f"<mask>={tok.token_to_id('<mask>')} <od>={tok.token_to_id('<od>')} "
          f"<loc_0>={tok.token_to_id('<loc_0>')} <and>={tok.token_to_id('<and>')}")


if __name__ == "__main__":
    main()
