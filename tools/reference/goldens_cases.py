"""Hand-written inputs for the prompt and post-processing goldens (data only)."""

from __future__ import annotations

# ----------------------------------------------------------------------------------------------
# image sizes used by the goldens: [width, height]
# ----------------------------------------------------------------------------------------------
S800 = [800, 600]      # worked examples of docs/florence2-contract.md#811-worked-examples
CAR = [640, 480]       # the HF car image (spec real cross-checks)
TINY = [12, 9]         # test/fixtures/images/tiny_12x9.png
TALL = [256, 512]      # test/fixtures/images/astronaut_tall.webp
PANO = [2160, 480]     # test/fixtures/images/panorama_2160x480.jpg
COFFEE = [600, 400]    # test/fixtures/images/coffee.jpg
ROCKET = [640, 427]    # test/fixtures/images/rocket_exif6.jpg (after EXIF transpose)


def L(*bins: int) -> str:
    return "".join(f"<loc_{b}>" for b in bins)


B1 = L(120, 300, 480, 890)
B2 = L(600, 250, 820, 500)
B3 = L(50, 260, 210, 520)
Q1 = L(100, 100, 400, 100, 400, 200, 100, 200)
Q2 = L(100, 300, 450, 300, 450, 400, 100, 400)
P1 = L(100, 100, 200, 100, 200, 200, 100, 200)
P3a = L(100, 100, 200, 100, 200, 200)
P3b = L(500, 500, 600, 500, 600, 600)

# (id, task, image_size, text, note)
POSTPROCESS_CASES: list[tuple[str, str, list[int], str, str]] = [
    # ---------------- pure_text ----------------
    ("caption_A", "<CAPTION>", S800, "</s><s>A dog sitting on a red couch.</s>", "worked example A"),
    ("detailed_caption_spaces", "<DETAILED_CAPTION>", COFFEE,
     "</s><s> The image shows a cup of coffee on a saucer. </s>", "leading/trailing spaces: native trims"),
    ("more_detailed_caption_newline", "<MORE_DETAILED_CAPTION>", ROCKET,
     "</s><s>A rocket is launching.\nThe sky is blue and there is smoke.</s>", "newline kept"),
    ("ocr_F", "<OCR>", S800, "</s><s>HELLO WORLD</s>", "worked example F"),
    ("ocr_multiline", "<OCR>", COFFEE, "</s><s>FRESH\nORANGE JUICE\n</s>", "Dec-2024 style newlines; trailing newline trimmed by native"),
    ("region_to_category_K", "<REGION_TO_CATEGORY>", S800, f"</s><s>dog{B1}</s>", "worked example K: loc tokens kept"),
    ("region_to_description_L", "<REGION_TO_DESCRIPTION>", S800,
     f"</s><s>a brown dog lying on a cushion{B1}</s>", "worked example L"),
    ("region_to_ocr", "<REGION_TO_OCR>", COFFEE, f"</s><s>OPEN{L(10, 20, 300, 80)}</s>", "loc tokens kept"),
    ("caption_pad", "<CAPTION>", S800, "</s><s>a cat</s><pad><pad>", "pure_text keeps <pad> (native)"),
    ("freeform_prompt", "What color is the car?", CAR, "</s><s>The car is green.</s>",
     "unknown task -> pure_text default; result keyed by the task string"),
    ("caption_empty", "<CAPTION>", S800, "</s><s></s>", "empty output"),
    ("caption_truncated", "<CAPTION>", S800, "</s><s>A dog sitting on", "missing </s> (max_new_tokens hit)"),
    ("caption_unicode", "<CAPTION>", TALL, "</s><s>Ein Hund auf einem Sofa – 犬 🐶</s>", "non-ASCII kept in pure_text"),
    # ---------------- description_with_bboxes (OD / DENSE) ----------------
    ("od_B", "<OD>", S800, f"</s><s>dog{B1}cushion{B2}{B3}</s>", "worked example B"),
    ("dense_C", "<DENSE_REGION_CAPTION>", S800,
     f"</s><s>a brown dog lying down{B1}a red cushion{B2}</s>", "worked example C"),
    ("od_tjs_car", "<OD>", CAR,
     "</s><s><s><s>car<loc_53><loc_333><loc_933><loc_774>door<loc_712><loc_203><loc_906><loc_545>"
     "wheel<loc_704><loc_576><loc_866><loc_772><loc_149><loc_584><loc_310><loc_773></s>",
     "tjs test string (real model output), repeated <s>"),
    ("od_native_car", "<OD>", CAR,
     "</s><s>car<loc_53><loc_333><loc_933><loc_774>door handle<loc_425><loc_503><loc_474><loc_515>"
     "wheel<loc_709><loc_576><loc_865><loc_772><loc_150><loc_584><loc_309><loc_773></s>",
     "native integration-test string (docs/florence2-contract.md#66-example-ids)"),
    ("od_tiny_extremes", "<OD>", TINY, f"</s><s>frame{L(0, 0, 999, 999)}dot{L(0, 999, 0, 999)}</s>",
     "loc values 0 and 999 on a 12x9 image"),
    ("od_trailing_locs", "<OD>", S800, f"</s><s>dog{L(1, 2, 3, 4, 5, 6)}</s>", "2 trailing loc tokens ignored"),
    ("od_trailing_3_locs", "<OD>", S800, f"</s><s>dog{B1}{L(7, 8, 9)}</s>", "3 trailing loc tokens ignored"),
    ("od_truncated", "<OD>", S800, f"</s><s>dog{B1}cat{L(10, 20)}", "missing </s>, last box incomplete"),
    ("od_label_newline", "<OD>", S800, f"</s><s>red\ncar{B1}dog{B2}</s>",
     "label containing a newline: that chunk is dropped"),
    ("od_label_leading_newline", "<OD>", S800, f"</s><s>\ncar{B1}</s>", "leading newline eaten by ^\\s*"),
    ("od_non_ascii", "<OD>", S800, f"</s><s>café{B1}犬{B2}</s>", "non-ASCII removed from labels (may become empty)"),
    ("od_pad", "<OD>", S800, f"</s><s>dog{B1}</s><pad><pad><pad>", "batch padding removed"),
    ("od_box_without_label", "<OD>", S800, f"</s><s>{L(1, 2, 3, 4)}dog{B1}</s>",
     "leading loc run without text is dropped"),
    ("od_empty", "<OD>", S800, "</s><s></s>", "empty output"),
    ("od_tall", "<OD>", TALL, f"</s><s>person{L(100, 50, 900, 990)}flag{L(20, 30, 200, 300)}</s>", "tall 256x512"),
    ("dense_panorama", "<DENSE_REGION_CAPTION>", PANO,
     f"</s><s>a cup of coffee{L(10, 100, 320, 900)}a rocket launch{L(350, 20, 660, 980)}a cat{L(680, 50, 995, 999)}</s>",
     "wide 2160x480"),
    ("od_label_spaces", "<OD>", S800, f"</s><s>  a  dog {B1}</s>", "label trimmed (inner double space kept)"),
    ("od_two_boxes_plus_partial", "<OD>", ROCKET, f"</s><s>wheel{B1}{B2}{L(1, 2, 3)}</s>", "8+3 locs: two boxes"),
    # ---------------- bboxes (REGION_PROPOSAL) ----------------
    ("proposal_D", "<REGION_PROPOSAL>", S800, f"</s><s><s><s>{B1}{B2}</s>", "worked example D"),
    ("proposal_text_between", "<REGION_PROPOSAL>", S800, f"</s><s>junk{B1}more{B2}</s>", "text ignored, labels empty"),
    ("proposal_tiny_extremes", "<REGION_PROPOSAL>", TINY, f"</s><s>{L(0, 0, 999, 999)}{L(999, 999, 0, 0)}</s>", "0/999 on 12x9"),
    ("proposal_trailing", "<REGION_PROPOSAL>", COFFEE, f"</s><s>{B1}{L(5, 6)}</s><pad>", "2 trailing locs + pad"),
    # ---------------- phrase_grounding ----------------
    ("grounding_E", "<CAPTION_TO_PHRASE_GROUNDING>", S800,
     f"</s><s>A dog{B1}a red couch{L(10, 400, 990, 998)}</s>", "worked example E"),
    ("grounding_multibox_banned", "<CAPTION_TO_PHRASE_GROUNDING>", S800,
     f"</s><s>two cats{L(100, 500, 300, 900)}{L(600, 480, 820, 910)}it{L(0, 0, 999, 999)}</s>",
     "worked example E: multi-box phrase + black-listed 'it'"),
    ("grounding_banned_variants", "<CAPTION_TO_PHRASE_GROUNDING>", COFFEE,
     f"</s><s>the image{L(0, 0, 999, 999)}a{L(1, 1, 2, 2)}The{L(3, 3, 4, 4)}a cup{L(5, 5, 6, 6)}</s>",
     "'the image','a' banned; 'The' not (case-sensitive)"),
    ("grounding_non_ascii_tall", "<CAPTION_TO_PHRASE_GROUNDING>", TALL,
     f"</s><s>die Astronautin{L(100, 50, 900, 990)}naïve flag{L(20, 30, 200, 300)}</s>", "non-ASCII removed"),
    ("grounding_leading_space", "<CAPTION_TO_PHRASE_GROUNDING>", S800, f"</s><s> a red car{B1}</s><pad>",
     "label trimmed, pad removed"),
    # ---------------- ocr (OCR_WITH_REGION) ----------------
    ("ocr_region_G", "<OCR_WITH_REGION>", S800, f"</s><s>HELLO{Q1}WORLD{Q2}</s>", "worked example G"),
    ("ocr_region_multiline_coffee", "<OCR_WITH_REGION>", COFFEE,
     f"</s><s>PIKOLO{L(100, 50, 400, 50, 400, 120, 100, 120)}ESPRESSO BAR{L(90, 150, 520, 150, 520, 230, 90, 230)}"
     f" since 2009 {L(150, 260, 450, 262, 450, 300, 150, 298)}</s><pad>", "3 lines, spaces trimmed, pad removed"),
    ("ocr_region_truncated", "<OCR_WITH_REGION>", S800, f"</s><s>HELLO{Q1}WORLD{L(1, 2, 3, 4, 5, 6, 7)}",
     "second quad incomplete (7 locs), no </s>"),
    ("ocr_region_non_ascii", "<OCR_WITH_REGION>", TALL, f"</s><s>Café ÜBER{Q1}</s>", "OCR labels are NOT ASCII-filtered"),
    ("ocr_region_newline_label", "<OCR_WITH_REGION>", S800, f"</s><s>LINE A\nLINE B{Q1}</s>",
     "'.' does not match newline: label starts after it"),
    ("ocr_region_tiny_extremes", "<OCR_WITH_REGION>", TINY, f"</s><s>X{L(0, 0, 999, 0, 999, 999, 0, 999)}</s>", "0/999"),
    # ---------------- polygons (RES / REGION_TO_SEGMENTATION) ----------------
    ("res_H1", "<REFERRING_EXPRESSION_SEGMENTATION>", S800, f"</s><s>{P1}</s>", "worked example H"),
    ("res_H2_sep_odd", "<REFERRING_EXPRESSION_SEGMENTATION>", S800,
     f"</s><s>{P3a}<sep>{L(500, 500, 600, 500, 600, 600, 550)}</s>", "worked example H: <sep>, odd count"),
    ("res_H3_poly", "<REFERRING_EXPRESSION_SEGMENTATION>", S800,
     f"</s><s><poly>{P3a}</poly><poly>{P3b}</poly></s>", "worked example H: <poly> instances"),
    ("region_to_seg_tiny", "<REGION_TO_SEGMENTATION>", TINY,
     f"</s><s>{L(0, 0, 999, 0, 999, 999, 0, 999)}</s>", "0/999 on 12x9"),
    ("res_too_short", "<REFERRING_EXPRESSION_SEGMENTATION>", S800, f"</s><s>{L(1, 2, 3)}</s>", "fewer than 4 items: nothing"),
    ("res_text_prefix", "<REFERRING_EXPRESSION_SEGMENTATION>", ROCKET, f"</s><s>rocket{P1}</s>",
     "text ignored, label empty"),
    ("res_poly_with_sep", "<REFERRING_EXPRESSION_SEGMENTATION>", PANO,
     f"</s><s><poly>{P3a}<sep>{P3b}</poly><poly>{L(10, 10, 20, 10, 20, 20)}</poly></s>",
     "two instances, the first with two polygons"),
    ("res_poly_unclosed", "<REFERRING_EXPRESSION_SEGMENTATION>", S800, f"</s><s><poly>{P3a}",
     "truncated: <poly> without </poly>"),
    ("res_odd_single_after_sep", "<REGION_TO_SEGMENTATION>", COFFEE, f"</s><s>{P3a}<sep><loc_7></s><pad>",
     "polygon of one coordinate -> odd -> empty polygon"),
    # ---------------- description_with_bboxes_or_polygons (OVD) ----------------
    ("ovd_J1_box", "<OPEN_VOCABULARY_DETECTION>", S800, f"</s><s>a dog{B1}</s>", "worked example J"),
    ("ovd_J2_poly", "<OPEN_VOCABULARY_DETECTION>", S800, f"</s><s>a dog<poly>{P3a}</poly></s>", "worked example J"),
    ("ovd_multi_boxes", "<OPEN_VOCABULARY_DETECTION>", CAR,
     f"</s><s>wheel{L(704, 576, 866, 772)}{L(149, 584, 310, 773)}pneu ü{L(1, 2, 3, 4)}</s>",
     "two boxes one label + non-ASCII label"),
    ("ovd_poly_sep_two_phrases", "<OPEN_VOCABULARY_DETECTION>", TALL,
     f"</s><s>person<poly>{P3a}<sep>{P3b}</poly>flag<poly>{L(10, 10, 20, 10, 20, 20)}</poly></s>",
     "polygons mode: two phrases"),
    ("ovd_empty", "<OPEN_VOCABULARY_DETECTION>", S800, "</s><s></s>", "empty output"),
]

# Region boxes (original-image pixels [x1, y1, x2, y2]) used for region prompts, per image size.
# Integer / half-integer coordinates so that floor(v*1000/size) is exact in float64.
REGION_BOXES: list[tuple[str, list[int], list[float], str]] = [
    ("s800_dog", S800, [96.5, 180.5, 384.5, 534.5], "worked example K box (bin centres rounded) -> 120,300,480,890"),
    ("car_notebook", CAR, [33.5, 159.5, 596.5, 371.75], "notebook car box -> 52,332,932,774 (docs/florence2-contract.md#33-region-input)"),
    ("car_wheel", CAR, [449.5, 276.25, 554.5, 370.75], "-> 702,575,866,772 (polygon prompt of docs/florence2-contract.md#66-example-ids)"),
    ("coffee_cup", COFFEE, [150, 60, 480, 330], "interior box"),
    ("coffee_full", COFFEE, [0, 0, 600, 400], "touches all borders: x2=W,y2=H clamp to 999"),
    ("rocket_right_edge", ROCKET, [320, 0, 640, 427], "touches top/right/bottom border"),
    ("tiny_full", TINY, [0, 0, 12, 9], "whole 12x9 image"),
    ("tiny_pixel", TINY, [5, 4, 6, 5], "single pixel of 12x9"),
    ("tall_top", TALL, [32, 0, 224, 256], "32/256 is exactly bin 125 (native float32 quantize says 124)"),
    ("pano_middle", PANO, [720, 0, 1440, 480], "middle third of the panorama"),
    ("camera_boundary", [512, 512], [64, 64, 448, 448], "exact bin boundaries 125/875 (float32 quantize differs)"),
    ("negative_and_over", S800, [-10, -5, 900, 700], "out-of-image coordinates clamp to 0 / 999"),
]

# Prompt cases: (id, text passed to the processor, region box id or None, note)
PROMPT_CASES: list[tuple[str, str, str | None, str]] = [
    ("caption", "<CAPTION>", None, ""),
    ("detailed_caption", "<DETAILED_CAPTION>", None, ""),
    ("more_detailed_caption", "<MORE_DETAILED_CAPTION>", None, ""),
    ("od", "<OD>", None, ""),
    ("dense_region_caption", "<DENSE_REGION_CAPTION>", None, ""),
    ("region_proposal", "<REGION_PROPOSAL>", None, ""),
    ("ocr", "<OCR>", None, ""),
    ("ocr_with_region", "<OCR_WITH_REGION>", None, ""),
    ("grounding", "<CAPTION_TO_PHRASE_GROUNDING>A green car parked in front of a yellow building.", None, ""),
    ("grounding_E", "<CAPTION_TO_PHRASE_GROUNDING>A dog sitting on a red couch.", None, "worked example E input"),
    ("grounding_leading_space", "<CAPTION_TO_PHRASE_GROUNDING> a red car", None,
     "native strips the input -> single space (original/tjs would give two spaces)"),
    ("grounding_surrounding_ws", "<CAPTION_TO_PHRASE_GROUNDING>\t  a red car \n", None, "strip() removes tabs/newlines too"),
    ("grounding_unicode", "<CAPTION_TO_PHRASE_GROUNDING>Ein grüner Wagen vor einem gelben Gebäude 🚗", None, "UTF-8 multibyte"),
    ("grounding_and", "<CAPTION_TO_PHRASE_GROUNDING>dog<and>cat", None, "class list joined with <and> (Roboflow style)"),
    ("res", "<REFERRING_EXPRESSION_SEGMENTATION>a dog", None, "worked example H input"),
    ("res_car", "<REFERRING_EXPRESSION_SEGMENTATION>a car", None, "docs/florence2-contract.md#66-example-ids"),
    ("ovd", "<OPEN_VOCABULARY_DETECTION>a dog", None, "worked example J input"),
    ("ovd_wheels", "<OPEN_VOCABULARY_DETECTION>wheels", None, "docs/florence2-contract.md#66-example-ids"),
    ("ovd_unicode", "<OPEN_VOCABULARY_DETECTION>café crème", None, ""),
    ("region_to_category_s800", "<REGION_TO_CATEGORY>", "s800_dog", "worked example K"),
    ("region_to_category_car", "<REGION_TO_CATEGORY>", "car_notebook", ""),
    ("region_to_description_car", "<REGION_TO_DESCRIPTION>", "car_notebook", "docs/florence2-contract.md#66-example-ids"),
    ("region_to_seg_car", "<REGION_TO_SEGMENTATION>", "car_wheel", "docs/florence2-contract.md#66-example-ids"),
    ("region_to_description_coffee", "<REGION_TO_DESCRIPTION>", "coffee_cup", ""),
    ("region_to_description_full", "<REGION_TO_DESCRIPTION>", "coffee_full", "border box"),
    ("region_to_ocr_rocket", "<REGION_TO_OCR>", "rocket_right_edge", "border box"),
    ("region_to_seg_tiny", "<REGION_TO_SEGMENTATION>", "tiny_pixel", ""),
    ("region_to_seg_tiny_full", "<REGION_TO_SEGMENTATION>", "tiny_full", ""),
    ("region_to_category_tall", "<REGION_TO_CATEGORY>", "tall_top", "bin-boundary box"),
    ("region_to_category_pano", "<REGION_TO_CATEGORY>", "pano_middle", ""),
    ("region_to_category_clamped", "<REGION_TO_CATEGORY>", "negative_and_over", "clamped box"),
    ("region_to_category_space", "<REGION_TO_CATEGORY> <loc_52><loc_332><loc_932><loc_774>", None,
     "leading space before the region is stripped by native"),
    ("freeform", "What color is the car?", None, "no task token: passed through unchanged"),
    ("freeform_leading_space", " describe", None, "no task token: NOT stripped"),
    ("freeform_describe", "describe", None, "docs/florence2-contract.md#66-example-ids (tjs test)"),
    ("empty", "", None, "empty prompt"),
    ("od_with_extra_text", "<OD>extra", None, "no-input task + extra text: native raises ValueError"),
    ("caption_and_od", "<CAPTION><OD>", None, "two task tokens: native raises ValueError"),
]

# docs/florence2-contract.md#66-example-ids real input_ids (official vocab) keyed by prompt string
SPEC_REAL_IDS: dict[str, list[int]] = {
    "What does the image describe?": [0, 2264, 473, 5, 2274, 6190, 116, 2],
    "Describe in detail what is shown in the image.": [0, 47066, 21700, 11, 4617, 99, 16, 2343, 11, 5, 2274, 4, 2],
    "Describe with a paragraph what is shown in the image.": [0, 47066, 21700, 19, 10, 17818, 99, 16, 2343, 11, 5, 2274, 4, 2],
    "Locate the objects with category name in the image.": [0, 574, 22486, 5, 8720, 19, 4120, 766, 11, 5, 2274, 4, 2],
    "Locate the objects in the image, with their descriptions.": [0, 574, 22486, 5, 8720, 11, 5, 2274, 6, 19, 49, 24173, 4, 2],
    "Locate the region proposals in the image.": [0, 574, 22486, 5, 976, 5327, 11, 5, 2274, 4, 2],
    "What is the text in the image?": [0, 2264, 16, 5, 2788, 11, 5, 2274, 116, 2],
    "What is the text in the image, with regions?": [0, 2264, 16, 5, 2788, 11, 5, 2274, 6, 19, 3806, 116, 2],
    "Locate wheels in the image.": [0, 574, 22486, 10562, 11, 5, 2274, 4, 2],
    "Locate a car in the image with mask": [0, 574, 22486, 10, 512, 11, 5, 2274, 19, 11445, 2],
    "Locate the phrases in the caption: A green car parked in front of a yellow building.":
        [0, 574, 22486, 5, 22810, 11, 5, 3747, 35, 83, 2272, 512, 9181, 11, 760, 9, 10, 5718, 745, 4, 2],
    "Locate the phrases in the caption: A dog sitting on a red couch.":
        [0, 574, 22486, 5, 22810, 11, 5, 3747, 35, 83, 2335, 2828, 15, 10, 1275, 16433, 4, 2],
    "Locate a dog in the image with mask": [0, 574, 22486, 10, 2335, 11, 5, 2274, 19, 11445, 2],
    "Locate a dog in the image.": [0, 574, 22486, 10, 2335, 11, 5, 2274, 4, 2],
    "What is the region <loc_120><loc_300><loc_480><loc_890>?":
        [0, 2264, 16, 5, 976, 1437, 50389, 50569, 50749, 51159, 116, 2],
    "What is the region <loc_52><loc_332><loc_932><loc_774>?":
        [0, 2264, 16, 5, 976, 1437, 50321, 50601, 51201, 51043, 116, 2],
    "What does the region <loc_52><loc_332><loc_932><loc_774> describe?":
        [0, 2264, 473, 5, 976, 1437, 50321, 50601, 51201, 51043, 6190, 116, 2],
    "What is the polygon mask of region <loc_702><loc_575><loc_866><loc_772>":
        [0, 2264, 16, 5, 11424, 14601, 11445, 9, 976, 1437, 50971, 50844, 51135, 51041, 2],
    "describe": [0, 45091, 21700, 2],
}

# decode round-trip texts (generated-output style)
DECODE_TEXTS: list[str] = [
    "</s><s>A dog sitting on a red couch.</s>",
    f"</s><s>dog{B1}cushion{B2}{B3}</s>",
    "</s><s>car<loc_53><loc_333><loc_933><loc_774>door handle<loc_425><loc_503><loc_474><loc_515></s><pad><pad>",
    f"</s><s><poly>{P3a}<sep>{P3b}</poly></s>",
    "</s><s>a dog , a cat . Is it ? yes ! it's the dog 's bowl</s>",
    "</s><s>Café ÜBER 犬 🐶\nline two</s>",
    "</s><s>  two  spaces<loc_0></s>",
]
