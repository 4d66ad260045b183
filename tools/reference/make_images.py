#!/usr/bin/env python3
"""Write the test images (test/fixtures/images/) and their reference 768x768 resizes.

Sources: scikit-image's bundled sample photographs (public domain / CC0, see LICENSE.md that
this script writes).  Deterministic: same inputs + same Pillow/scikit-image -> same bytes.

    tools/reference/.venv/bin/python tools/reference/make_images.py [--out test/fixtures/images]

For every image it also writes resized/<stem>.png: the RGB uint8 768x768 image exactly as the
reference CLIPImageProcessor produces it before rescale/normalize (load: PIL open ->
ImageOps.exif_transpose -> convert('RGB')), and verifies that recomputing pixel_values from that PNG
equals the processor's pixel_values exactly.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "test", "fixtures", "images")

import preprocessor as pp  # noqa: E402


def _skimage(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)()


def _resize(img, size):
    from PIL import Image

    return img.resize(size, Image.Resampling.LANCZOS)


def build_images():
    """Returns list of (file_name, PIL image to save, save kwargs, description, source key)."""
    from PIL import Image

    out = []

    # 1. JPEG, landscape 3:2, plain RGB (no EXIF)
    coffee = Image.fromarray(_skimage("coffee"))  # 600x400
    out.append(("coffee.jpg", coffee, dict(format="JPEG", quality=90, subsampling=2, optimize=False),
                "RGB JPEG (4:2:0, q90), 600x400 landscape, no EXIF", "coffee"))

    # 2. Grayscale 8-bit PNG, square
    camera = Image.fromarray(_skimage("camera"), mode="L")  # 512x512
    out.append(("camera_gray.png", camera, dict(format="PNG", optimize=True),
                "8-bit grayscale (mode L) PNG, 512x512 square", "camera"))

    # 3. RGBA PNG with a non-trivial alpha channel (radial gradient, fully transparent corners,
    #    fully opaque centre); the RGB under alpha=0 is the untouched photo.
    chelsea = _skimage("chelsea")  # 451x300 (h=300, w=451)
    h, w = chelsea.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    alpha = np.clip((1.2 - r) / 0.6, 0.0, 1.0)
    alpha = np.round(alpha * 255).astype(np.uint8)
    rgba = np.dstack([chelsea, alpha])
    out.append(("chelsea_alpha.png", Image.fromarray(rgba, mode="RGBA"), dict(format="PNG", optimize=True),
                "RGBA PNG, 451x300, radial alpha gradient 0..255 (alpha must be dropped, not composited)",
                "chelsea"))

    # 4. JPEG with EXIF Orientation=6: the stored pixels are the photo rotated 90 deg
    #    counter-clockwise (as a camera held sideways stores them); viewers rotate 90 deg clockwise
    #    to display it upright.  Stored 427x640 (portrait), displayed 640x427 (landscape).
    rocket = Image.fromarray(_skimage("rocket"))  # 640x427
    stored = rocket.transpose(Image.Transpose.ROTATE_90)  # CCW
    exif = Image.Exif()
    exif[0x0112] = 6
    out.append(("rocket_exif6.jpg", stored, dict(format="JPEG", quality=90, subsampling=2, exif=exif.tobytes()),
                "RGB JPEG, stored 427x640 with EXIF Orientation=6 (rotate 90 CW to display) -> 640x427",
                "rocket"))

    # 5. Tiny: 12x9 RGB PNG (downscaled astronaut)
    astronaut = Image.fromarray(_skimage("astronaut"))  # 512x512
    tiny = _resize(astronaut.crop((0, 64, 512, 448)), (12, 9))
    out.append(("tiny_12x9.png", tiny, dict(format="PNG"), "tiny 12x9 RGB PNG (upscaled 64x by the processor)",
                "astronaut"))

    # 6. Large wide panorama JPEG: coffee | rocket | chelsea, each 720x480 -> 2160x480
    parts = [_resize(coffee, (720, 480)), _resize(rocket, (720, 480)),
             _resize(Image.fromarray(chelsea), (720, 480))]
    pano = Image.new("RGB", (2160, 480))
    for i, p in enumerate(parts):
        pano.paste(p, (720 * i, 0))
    out.append(("panorama_2160x480.jpg", pano, dict(format="JPEG", quality=80, subsampling=2),
                "large wide RGB JPEG (q80), 2160x480 (4.5:1), collage of coffee|rocket|chelsea", "coffee,rocket,chelsea"))

    # 7. Tall portrait, lossy WebP: astronaut cropped to 256x512 (1:2)
    tall = astronaut.crop((128, 0, 384, 512))
    out.append(("astronaut_tall.webp", tall, dict(format="WEBP", quality=80, method=6),
                "lossy WebP (q80), 256x512 tall portrait", "astronaut"))

    return out


LICENSE_TEXT = """\
# Test images: sources and licences

All images in this folder are derived (cropped, resized, re-encoded, alpha added, rotated, or
collaged) by `tools/reference/make_images.py` from the sample photographs bundled with
scikit-image {skimage_version} (`skimage/data/`). Licence statements are quoted from the
docstrings of `skimage.data` (file `skimage/data/_fetchers.py` of the installed package).

| file | source (skimage.data) | licence / copyright statement |
|---|---|---|
| `coffee.jpg` | `coffee()` - coffee cup, courtesy of Pikolo Espresso Bar | "No copyright restrictions. CC0 by the photographer (Rachel Michetti)." |
| `camera_gray.png` | `camera()` - gray-level "camera" image | "No copyright restrictions. CC0 by the photographer (Lav Varshney)." |
| `chelsea_alpha.png` | `chelsea()` - Chelsea the cat (alpha channel added here) | "No copyright restrictions. CC0 by the photographer (Stefan van der Walt)." |
| `rocket_exif6.jpg` | `rocket()` - launch photo of DSCOVR on Falcon 9 by SpaceX (stored rotated + EXIF tag) | "The image was captured by SpaceX and released in the public domain." |
| `tiny_12x9.png` | `astronaut()` - astronaut Eileen Collins, NASA Great Images database | "No known copyright restrictions, released into the public domain." |
| `panorama_2160x480.jpg` | collage of `coffee()`, `rocket()`, `chelsea()` | see the three rows above (CC0 / public domain) |
| `astronaut_tall.webp` | `astronaut()` (crop) | "No known copyright restrictions, released into the public domain." |

`resized/*.png` are the 768x768 reference resizes of the images above (same sources and licences).
scikit-image itself is BSD-3-Clause (c) the scikit-image team; the sample images carry the
statements above.
"""


def main(argv: list[str] | None = None) -> list[dict]:
    import PIL
    import skimage

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    out_dir = args.out
    os.makedirs(os.path.join(out_dir, "resized"), exist_ok=True)

    records = []
    for fname, img, kwargs, desc, source in build_images():
        path = os.path.join(out_dir, fname)
        img.save(path, **kwargs)
        rgb, info = pp.load_like_user(path)
        resized = pp.reference_resize(rgb)
        stem = os.path.splitext(fname)[0]
        rpath = os.path.join(out_dir, "resized", stem + ".png")
        from PIL import Image

        Image.fromarray(resized, mode="RGB").save(rpath, format="PNG", optimize=True)
        # verify: PNG round trip + pixel_values recomputed == processor pixel_values (exact)
        back = np.array(Image.open(rpath).convert("RGB"))
        assert np.array_equal(back, resized)
        pv_ref = pp.reference_pixel_values(rgb)
        pv_png = pp.pixel_values_from_resized(back)
        assert np.array_equal(pv_ref, pv_png), f"{fname}: pixel_values from PNG differ"
        records.append({"file": fname, "desc": desc, "source": source, **info})
        print(f"{fname}: {info} bytes={os.path.getsize(path)} resized_bytes={os.path.getsize(rpath)} OK")

    with open(os.path.join(out_dir, "LICENSE.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(LICENSE_TEXT.format(skimage_version=skimage.__version__))
    print(f"Pillow {PIL.__version__}, scikit-image {skimage.__version__}")
    return records


if __name__ == "__main__":
    main()
