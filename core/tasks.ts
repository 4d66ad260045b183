/**
 * The Florence-2 task table: the single place that knows each task's token, prompt template,
 * what extra input it takes and how its output is parsed. Values follow the reference processor
 * (docs/florence2-contract.md#2-tasks), including its missing trailing punctuation in two templates.
 */

/** Our names for the 15 Florence-2 tasks (stable API; the proto enum mirrors them). */
export const TASK_NAMES = [
  "caption",
  "detailed_caption",
  "more_detailed_caption",
  "object_detection",
  "dense_region_caption",
  "region_proposal",
  "ocr",
  "ocr_with_region",
  "phrase_grounding",
  "referring_expression_segmentation",
  "region_to_segmentation",
  "open_vocabulary_detection",
  "region_to_category",
  "region_to_description",
  "region_to_ocr",
] as const;

export type TaskName = (typeof TASK_NAMES)[number];

/** What a task needs besides the image. */
export type TaskInputKind = "none" | "text" | "region";

/** How the generated text is parsed (the reference's `tasks_answer_post_processing_type`). */
export type OutputKind =
  | "pure_text"
  | "description_with_bboxes"
  | "bboxes"
  | "phrase_grounding"
  | "ocr"
  | "polygons"
  | "description_with_bboxes_or_polygons";

export interface TaskSpec {
  readonly name: TaskName;
  /** The task token users know, e.g. "<OD>". */
  readonly token: string;
  /** Prompt template; `{input}` is replaced by the text or the region's `<loc_>` string. */
  readonly prompt: string;
  readonly input: TaskInputKind;
  readonly output: OutputKind;
}

export const TASKS = {
  caption: {
    name: "caption",
    token: "<CAPTION>",
    prompt: "What does the image describe?",
    input: "none",
    output: "pure_text",
  },
  detailed_caption: {
    name: "detailed_caption",
    token: "<DETAILED_CAPTION>",
    prompt: "Describe in detail what is shown in the image.",
    input: "none",
    output: "pure_text",
  },
  more_detailed_caption: {
    name: "more_detailed_caption",
    token: "<MORE_DETAILED_CAPTION>",
    prompt: "Describe with a paragraph what is shown in the image.",
    input: "none",
    output: "pure_text",
  },
  object_detection: {
    name: "object_detection",
    token: "<OD>",
    prompt: "Locate the objects with category name in the image.",
    input: "none",
    output: "description_with_bboxes",
  },
  dense_region_caption: {
    name: "dense_region_caption",
    token: "<DENSE_REGION_CAPTION>",
    prompt: "Locate the objects in the image, with their descriptions.",
    input: "none",
    output: "description_with_bboxes",
  },
  region_proposal: {
    name: "region_proposal",
    token: "<REGION_PROPOSAL>",
    prompt: "Locate the region proposals in the image.",
    input: "none",
    output: "bboxes",
  },
  ocr: { name: "ocr", token: "<OCR>", prompt: "What is the text in the image?", input: "none", output: "pure_text" },
  ocr_with_region: {
    name: "ocr_with_region",
    token: "<OCR_WITH_REGION>",
    prompt: "What is the text in the image, with regions?",
    input: "none",
    output: "ocr",
  },
  phrase_grounding: {
    name: "phrase_grounding",
    token: "<CAPTION_TO_PHRASE_GROUNDING>",
    prompt: "Locate the phrases in the caption: {input}",
    input: "text",
    output: "phrase_grounding",
  },
  referring_expression_segmentation: {
    name: "referring_expression_segmentation",
    token: "<REFERRING_EXPRESSION_SEGMENTATION>",
    prompt: "Locate {input} in the image with mask",
    input: "text",
    output: "polygons",
  },
  region_to_segmentation: {
    name: "region_to_segmentation",
    token: "<REGION_TO_SEGMENTATION>",
    prompt: "What is the polygon mask of region {input}",
    input: "region",
    output: "polygons",
  },
  open_vocabulary_detection: {
    name: "open_vocabulary_detection",
    token: "<OPEN_VOCABULARY_DETECTION>",
    prompt: "Locate {input} in the image.",
    input: "text",
    output: "description_with_bboxes_or_polygons",
  },
  region_to_category: {
    name: "region_to_category",
    token: "<REGION_TO_CATEGORY>",
    prompt: "What is the region {input}?",
    input: "region",
    output: "pure_text",
  },
  region_to_description: {
    name: "region_to_description",
    token: "<REGION_TO_DESCRIPTION>",
    prompt: "What does the region {input} describe?",
    input: "region",
    output: "pure_text",
  },
  region_to_ocr: {
    name: "region_to_ocr",
    token: "<REGION_TO_OCR>",
    prompt: "What text is in the region {input}?",
    input: "region",
    output: "pure_text",
  },
} as const satisfies { readonly [K in TaskName]: TaskSpec & { readonly name: K } };

const BY_TOKEN: ReadonlyMap<string, TaskSpec> = new Map(Object.values(TASKS).map((t) => [t.token, t]));

export function isTaskName(s: string): s is TaskName {
  return (TASK_NAMES as readonly string[]).includes(s);
}

/** Looks a task up by its token ("<OD>") or our name ("object_detection"); undefined if neither. */
export function findTask(tokenOrName: string): TaskSpec | undefined {
  if (isTaskName(tokenOrName)) return TASKS[tokenOrName];
  return BY_TOKEN.get(tokenOrName);
}
