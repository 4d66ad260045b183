"""Load transformers' NATIVE Florence2Processor on top of our tokenizer files (offline only).

The native processor needs two things that our tokenizer files deliberately do not contain:

1. an ``<image>`` token on the tokenizer (``tokenizer.image_token`` / ``tokenizer.image_token_id``).
   We add it at runtime exactly like transformers' ``convert_florence2_original_pytorch_to_hf.py``:
   ``tokenizer.add_tokens(AddedToken("<image>", special=True, normalized=False), special_tokens=True)``
   -> it gets id = len(tokenizer) (51289 for the padded/real-id tokenizer, 2025 for the tiny one).
   The processor then prefixes every prompt with 577 ``<image>`` placeholders when images are given.
   Our ONNX contract (docs/onnx-contract.md#8-data-flow-between-the-sessions) does NOT use these placeholders (image features are concatenated in front of
   the text embeddings), and logits width = vocab size WITHOUT ``<image>``.

2. a ``post_processor_config`` (``processor_config.json`` in florence-community repos): without it
   ``post_process_generation`` fails (KeyError).  We use the dict from the conversion script (the
   black-list of grounding phrases etc.).  NB: the script writes lower-case ``pattern`` /
   ``area_threshold`` keys while the code reads ``PATTERN`` / ``AREA_THRESHOLD``, so the defaults
   (built-in OCR regex, threshold 0.0) are what actually runs; we reproduce that faithfully.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_tokenizer import preprocessor_config  # noqa: E402

IMAGE_TOKEN = "<image>"

# verbatim list (duplicates included) from transformers' conversion script
BANNED_GROUNDING_TOKENS = [
    "it", "I", "me", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "they",
    "them", "their", "theirs", "one", "oneself", "we", "us", "our", "ours", "you", "your", "yours",
    "they", "them", "their", "theirs", "mine", "yours", "his", "hers", "its", "ours", "yours", "theirs",
    "myself", "yourself", "himself", "herself", "itself", "ourselves", "yourselves", "themselves",
    "this", "that", "these", "those", "who", "whom", "whose", "which", "what", "who", "whom", "whose",
    "which", "that", "all", "another", "any", "anybody", "anyone", "anything", "each", "everybody",
    "everyone", "everything", "few", "many", "nobody", "none", "one", "several", "some", "somebody",
    "someone", "something", "each other", "one another", "myself", "yourself", "himself", "herself",
    "itself", "ourselves", "yourselves", "themselves", "the image", "image", "images", "the", "a",
    "an", "a group", "other objects", "lots", "a set",
]

POST_PROCESSOR_CONFIG = {
    "ocr": {
        "pattern": r"(.+?)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>",
        "area_threshold": 0.0,
    },
    "phrase_grounding": {"banned_grounding_tokens": BANNED_GROUNDING_TOKENS},
    "pure_text": {},
    "description_with_bboxes": {},
    "description_with_polygons": {},
    "polygons": {},
    "bboxes": {},
    "description_with_bboxes_or_polygons": {},
}


def load_tokenizer(tok_dir: str):
    """BartTokenizerFast from our files, WITHOUT <image> (what the ONNX model/TS port uses)."""
    from transformers import BartTokenizerFast

    return BartTokenizerFast.from_pretrained(tok_dir)


def load_native_processor(tok_dir: str):
    """Native Florence2Processor over our tokenizer (+ runtime <image>) and a CLIPImageProcessor
    built from our preprocessor_config (slow/PIL processor, the reference)."""
    from transformers import AddedToken, CLIPImageProcessor, Florence2Processor

    tok = load_tokenizer(tok_dir)
    base_len = len(tok)
    tok.image_token = IMAGE_TOKEN
    tok.add_tokens(AddedToken(IMAGE_TOKEN, special=True, normalized=False), special_tokens=True)
    tok.image_token_id = tok.convert_tokens_to_ids(IMAGE_TOKEN)
    assert tok.image_token_id == base_len, (tok.image_token_id, base_len)
    cfg = {k: v for k, v in preprocessor_config().items()
           if k not in ("processor_class", "image_processor_type", "task_prompts_with_input",
                        "task_prompts_without_inputs", "tasks_answer_post_processing_type")}
    image_processor = CLIPImageProcessor(**cfg)
    return Florence2Processor(image_processor=image_processor, tokenizer=tok,
                              post_processor_config=POST_PROCESSOR_CONFIG)
