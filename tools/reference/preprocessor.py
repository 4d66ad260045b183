"""Reference image loading + preprocessing (offline fixture tool, never used at runtime).

The reference is transformers' slow ``CLIPImageProcessor`` configured from our
``preprocessor_config.json`` (768x768, PIL bicubic, 1/255, ImageNet mean/std) as used by the
native ``Florence2Processor``.

How the reference loads an image (what a Python user does, e.g. the Microsoft notebook):

1. ``PIL.Image.open(path)``
2. ``PIL.ImageOps.exif_transpose(img)`` (applies the EXIF Orientation tag, 1..8)
3. ``img.convert("RGB")`` - PIL semantics: RGBA/LA -> alpha channel DROPPED (not composited on
   any background); L (gray) -> R=G=B=L; P -> palette lookup.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TARGET = 768

LOADING_NOTE = (
    "PIL.Image.open(path); PIL.ImageOps.exif_transpose(img) (EXIF Orientation applied); "
    "img.convert('RGB') (alpha channel dropped, NOT composited; grayscale replicated to R=G=B); "
    "then transformers CLIPImageProcessor (slow, PIL) with do_convert_rgb=None: "
    "PIL Image.resize((768, 768), resample=BICUBIC(3), reducing_gap=None) on uint8 -> uint8; "
    "rescale: float64(u8) * (1/255) -> float32; normalize: (x - mean[c]) / std[c] in float32 "
    "(mean=[0.485,0.456,0.406], std=[0.229,0.224,0.225]); layout CHW, batch 1."
)


def load_like_user(path: str):
    """Returns (rgb PIL image, info dict)."""
    from PIL import Image, ImageOps

    img = Image.open(path)
    exif = img.getexif()
    orientation = int(exif.get(0x0112, 1)) if exif is not None else 1
    raw_size = img.size
    raw_mode = img.mode
    img.load()
    img = ImageOps.exif_transpose(img)
    rgb = img.convert("RGB")
    return rgb, {
        "orientation": orientation,
        "raw_size": list(raw_size),
        "raw_mode": raw_mode,
        "size": list(rgb.size),
    }


def image_processor():
    """The reference CLIPImageProcessor (slow / PIL) with our preprocessor_config values."""
    from transformers import CLIPImageProcessor

    from make_tokenizer import preprocessor_config

    cfg = {k: v for k, v in preprocessor_config().items()
           if k not in ("processor_class", "image_processor_type", "task_prompts_with_input",
                        "task_prompts_without_inputs", "tasks_answer_post_processing_type")}
    return CLIPImageProcessor(**cfg)


def reference_resize(rgb) -> np.ndarray:
    """uint8 [768,768,3] exactly as the reference processor resizes (before rescale/normalize)."""
    from transformers.image_utils import ChannelDimension, PILImageResampling

    ip = image_processor()
    arr = np.array(rgb, dtype=np.uint8)
    out = ip.resize(arr, size={"height": TARGET, "width": TARGET}, resample=PILImageResampling.BICUBIC,
                    input_data_format=ChannelDimension.LAST)
    assert out.dtype == np.uint8 and out.shape == (TARGET, TARGET, 3), (out.dtype, out.shape)
    return out


def pixel_values_from_resized(resized_u8: np.ndarray) -> np.ndarray:
    """Recompute pixel_values [1,3,768,768] float32 from the resized uint8 image using the
    processor's own rescale/normalize (so equality with the processor output proves the PNG)."""
    from transformers.image_utils import ChannelDimension

    ip = image_processor()
    x = ip.rescale(resized_u8, scale=ip.rescale_factor, input_data_format=ChannelDimension.LAST)
    x = ip.normalize(x, mean=ip.image_mean, std=ip.image_std, input_data_format=ChannelDimension.LAST)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def naive_pixel_values(resized_u8: np.ndarray) -> np.ndarray:
    """The obvious float32 formula a port would use: (u8/255 - mean)/std, CHW."""
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    x = resized_u8.astype(np.float32) / np.float32(255.0)
    x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def reference_pixel_values(rgb) -> np.ndarray:
    """pixel_values from the full processor call (the reference)."""
    ip = image_processor()
    pv = ip(images=rgb, return_tensors="np")["pixel_values"]
    assert pv.shape == (1, 3, TARGET, TARGET) and pv.dtype == np.float32, (pv.shape, pv.dtype)
    return pv


def describe(info: dict[str, Any]) -> str:
    return f"{info}"
