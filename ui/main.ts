/**
 * The "try it" page's script (server/ui-assets.ts serves it; tools/build-ui.mjs bundles it): take
 * an image from a file or the webcam, run the chosen task (region tasks: on a box dragged on the
 * image) through the browser client, draw the result with annotateCanvas and show the typed
 * result, its timings and the round trip. The page state the tests wait for is `data-state` on
 * #status: idle, ready, running, done or error.
 */
import {
  annotateCanvas,
  badRequestOf,
  Code,
  ConnectError,
  createFlorenceClient,
  type TaskResult,
  type Timings,
} from "../client/browser.js";
import type { Region } from "../core/geometry.js";
import {
  errorText,
  type FormValues,
  formatRegion,
  parseRegion,
  parseSettings,
  regionFromDrag,
  type RunSettings,
  timingRows,
  UI_TASKS,
  uiDefaults,
} from "./settings.js";

function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof kind))
    throw new Error(`the page has no #${id} of the expected kind; is index.html from this build?`);
  return found;
}

const form = byId("run-form", HTMLFormElement);
const fileInput = byId("image-file", HTMLInputElement);
const cameraStart = byId("camera-start", HTMLButtonElement);
const cameraCapture = byId("camera-capture", HTMLButtonElement);
const cameraVideo = byId("camera-video", HTMLVideoElement);
const taskSelect = byId("task", HTMLSelectElement);
const taskText = byId("task-text", HTMLInputElement);
const taskRegion = byId("task-region", HTMLInputElement);
const maxNewTokens = byId("max-new-tokens", HTMLInputElement);
const numBeams = byId("num-beams", HTMLInputElement);
const streamBox = byId("stream", HTMLInputElement);
const protocol = byId("protocol", HTMLSelectElement);
const token = byId("token", HTMLInputElement);
const serverUrl = byId("server-url", HTMLInputElement);
const runButton = byId("run", HTMLButtonElement);
const cancelButton = byId("cancel", HTMLButtonElement);
const status = byId("status", HTMLElement);
const errorBox = byId("error", HTMLElement);
const partialLine = byId("partial", HTMLElement);
const canvas = byId("result-canvas", HTMLCanvasElement);
const timingList = byId("timings", HTMLElement);
const resultJson = byId("result-json", HTMLElement);

/** The image to run on: its encoded bytes (sent) and its decoded pixels (drawn). */
interface Picture {
  readonly bytes: Uint8Array;
  readonly bitmap: ImageBitmap;
}

let picture: Picture | undefined;
let running: AbortController | undefined;
let camera: MediaStream | undefined;

type PageState = "idle" | "ready" | "running" | "done" | "error";

function setStatus(state: PageState, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function showError(text: string): void {
  errorBox.hidden = false;
  errorBox.textContent = text;
  setStatus("error", "Failed; see the error below.");
}

function clearOutput(): void {
  errorBox.hidden = true;
  errorBox.textContent = "";
  partialLine.hidden = true;
  partialLine.textContent = "";
  partialLine.dataset.updates = "0";
  resultJson.textContent = "";
  timingList.replaceChildren();
}

function preview(bitmap: ImageBitmap): void {
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("2d")?.drawImage(bitmap, 0, 0);
}

/** The region as a dashed box over what the canvas shows, thick enough to see on large photos. */
function outlineRegion(region: Region): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const [x1, y1, x2, y2] = region;
  const width = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 300));
  ctx.save();
  ctx.lineWidth = width;
  ctx.setLineDash([4 * width, 2 * width]);
  ctx.strokeStyle = "#ff00ff";
  ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  ctx.restore();
}

/** Region tasks: the image with the Region field's box on it, when the field holds one. */
function showRegion(): void {
  if (picture === undefined || currentTask()?.input !== "region") return;
  preview(picture.bitmap);
  const region = parseRegion(taskRegion.value);
  if (typeof region !== "string") outlineRegion(region);
}

/** A pointer position on the canvas in image pixels (the canvas may be shown scaled). */
function imagePoint(event: PointerEvent): { x: number; y: number } {
  const box = canvas.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * canvas.width) / box.width,
    y: ((event.clientY - box.top) * canvas.height) / box.height,
  };
}

/** Dragging on the image (region tasks only) fills in the Region field, showing the box as it grows. */
function watchRegionDrags(): void {
  let from: { x: number; y: number } | undefined;
  const track = (event: PointerEvent, done: boolean) => {
    if (from === undefined || picture === undefined) return;
    const region = regionFromDrag(from, imagePoint(event), picture.bitmap);
    if (done) from = undefined;
    if (region === undefined) return;
    taskRegion.value = formatRegion(region);
    showRegion();
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (picture === undefined || currentTask()?.input !== "region" || running !== undefined) return;
    from = imagePoint(event);
    canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", (event) => track(event, false));
  canvas.addEventListener("pointerup", (event) => track(event, true));
  canvas.addEventListener("pointercancel", () => {
    from = undefined;
  });
}

async function usePicture(blob: Blob, source: string): Promise<void> {
  clearOutput();
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    showError(`This browser cannot decode ${source} as an image; pick a JPEG, PNG or WebP file.`);
    return;
  }
  picture?.bitmap.close();
  picture = { bytes: new Uint8Array(await blob.arrayBuffer()), bitmap };
  preview(bitmap);
  // A region belongs to the image it was drawn on.
  taskRegion.value = "";
  setStatus("ready", `Image ready: ${source}, ${bitmap.width}×${bitmap.height}. Choose a task and run it.`);
}

async function startCamera(): Promise<void> {
  if (navigator.mediaDevices?.getUserMedia === undefined) {
    showError("This browser offers no webcam here (it needs a secure origin: https or localhost).");
    return;
  }
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (e) {
    showError(`The webcam could not start: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  cameraVideo.srcObject = camera;
  cameraVideo.hidden = false;
  cameraCapture.hidden = false;
  await cameraVideo.play();
}

function stopCamera(): void {
  for (const track of camera?.getTracks() ?? []) track.stop();
  camera = undefined;
  cameraVideo.srcObject = null;
  cameraVideo.hidden = true;
  cameraCapture.hidden = true;
}

async function capture(): Promise<void> {
  const frame = document.createElement("canvas");
  frame.width = cameraVideo.videoWidth;
  frame.height = cameraVideo.videoHeight;
  frame.getContext("2d")?.drawImage(cameraVideo, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => frame.toBlob(resolve, "image/jpeg", 0.92));
  stopCamera();
  if (blob === null) showError("The webcam frame could not be encoded; try again.");
  else await usePicture(blob, "webcam picture");
}

function formValues(): FormValues {
  return {
    task: taskSelect.value,
    text: taskText.value,
    region: taskRegion.value,
    maxNewTokens: maxNewTokens.value,
    numBeams: numBeams.value,
    stream: streamBox.checked,
    protocol: protocol.value,
    token: token.value,
    serverUrl: serverUrl.value,
  };
}

function showTimings(roundTripMs: number, timings: Timings | undefined): void {
  timingList.replaceChildren(
    ...timingRows(roundTripMs, timings).flatMap(([label, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

function describeFailure(e: unknown): string {
  const error = ConnectError.from(e);
  const lines = [errorText(error.code, Code[error.code], error.rawMessage)];
  for (const v of badRequestOf(error)) lines.push(`${v.field}: ${v.description}`);
  return lines.join("\n");
}

async function runTask(settings: RunSettings, image: Picture): Promise<void> {
  const controller = new AbortController();
  running = controller;
  runButton.disabled = true;
  cancelButton.disabled = false;
  const label = UI_TASKS.find((t) => t.name === settings.task)?.label ?? settings.task;
  setStatus("running", `Running ${label}…`);
  const client = createFlorenceClient({
    baseUrl: settings.baseUrl,
    protocol: settings.protocol,
    ...(settings.token === undefined ? {} : { token: settings.token }),
  });
  let timings: Timings | undefined;
  const started = performance.now();
  const options = {
    maxNewTokens: settings.maxNewTokens,
    numBeams: settings.numBeams,
    ...(settings.text === undefined ? {} : { text: settings.text }),
    ...(settings.region === undefined ? {} : { region: settings.region }),
    signal: controller.signal,
  };
  try {
    let result: TaskResult | undefined;
    if (settings.stream) {
      for await (const event of client.runStream(settings.task, image.bytes, options)) {
        if (event.kind === "partial") showPartial(label, event.text, event.generatedTokens);
        else [result, timings] = [event.results[0], event.timings];
      }
    } else {
      [result] = await client.run(settings.task, image.bytes, {
        ...options,
        onTimings: (t) => {
          timings = t;
        },
      });
    }
    const roundTripMs = performance.now() - started;
    if (result === undefined) throw new Error("the server answered without a result");
    showResult(result, image, roundTripMs, timings);
    if (settings.region !== undefined) outlineRegion(settings.region);
    setStatus("done", `${label}: done in ${roundTripMs.toFixed(0)} ms.`);
  } catch (e) {
    showError(describeFailure(e));
  } finally {
    running = undefined;
    runButton.disabled = false;
    cancelButton.disabled = true;
  }
}

/** RunStream's text so far; `data-updates` counts the partials shown (the tests read it). */
function showPartial(label: string, text: string, tokens: number): void {
  partialLine.hidden = false;
  partialLine.textContent = text;
  partialLine.dataset.updates = String(Number(partialLine.dataset.updates ?? "0") + 1);
  setStatus("running", `Running ${label}… ${tokens} tokens so far.`);
}

function showResult(result: TaskResult, image: Picture, roundTripMs: number, timings: Timings | undefined): void {
  const drawn = annotateCanvas(canvas, image.bitmap, result);
  const labels = drawn.items.flatMap((item) => (item.kind === "text" ? [item.text] : []));
  canvas.setAttribute(
    "aria-label",
    labels.length > 0 ? `The image with the result drawn on it: ${labels.join("; ")}` : "The image; nothing was drawn",
  );
  resultJson.textContent = JSON.stringify(result, null, 2);
  showTimings(roundTripMs, timings);
}

function currentTask() {
  return UI_TASKS.find((t) => t.name === taskSelect.value);
}

function onTaskChange(): void {
  const task = currentTask();
  taskText.disabled = task?.input !== "text";
  taskText.required = task?.input === "text";
  taskRegion.disabled = task?.input !== "region";
  taskRegion.required = task?.input === "region";
  canvas.classList.toggle("picking", task?.input === "region");
  showRegion();
}

function setUp(): void {
  taskSelect.replaceChildren(...UI_TASKS.map((t) => new Option(t.label, t.name)));
  taskSelect.value = uiDefaults.task;
  maxNewTokens.value = String(uiDefaults.maxNewTokens);
  numBeams.value = String(uiDefaults.numBeams);
  protocol.value = uiDefaults.protocol;
  onTaskChange();

  taskSelect.addEventListener("change", onTaskChange);
  taskRegion.addEventListener("input", showRegion);
  watchRegionDrags();
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    if (file !== undefined) void usePicture(file, file.name);
  });
  cameraStart.addEventListener("click", () => void startCamera());
  cameraCapture.addEventListener("click", () => void capture());
  cancelButton.addEventListener("click", () => running?.abort());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearOutput();
    const parsed = parseSettings(formValues(), location.origin);
    if (!parsed.ok) showError(parsed.problems.join("\n"));
    else if (picture === undefined) showError("Pick an image file or take a webcam picture first.");
    else void runTask(parsed.settings, picture);
  });
  setStatus("idle", "Pick an image to start.");
}

setUp();
