/**
 * Interop check (a): a stock @grpc/grpc-js client that loads our .proto files at run time with
 * @grpc/proto-loader, using no generated code of ours, calls a unary RPC (CaptionImage), ListModels
 * and the bidirectional StreamFrames against a running server.
 *
 *   node --import tsx test/interop/grpc-js-client.ts --address 127.0.0.1:PORT --image some.png
 *
 * Prints one PASS/FAIL line per check; exits 1 if any failed.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const { values: args } = parseArgs({
  options: {
    address: { type: "string" },
    image: { type: "string", default: "test/fixtures/images/tiny_12x9.png" },
    proto: { type: "string", default: "proto" },
    // google/rpc/error_details.proto, which frames.proto imports, lives outside our module.
    "third-party-proto": { type: "string", default: "third_party/proto" },
    "deadline-ms": { type: "string", default: "60000" },
  },
});
if (args.address === undefined) throw new Error("--address HOST:PORT is required");
const address = args.address;
const deadlineMs = Number(args["deadline-ms"]);

/** Messages as proto-loader decodes them: plain objects; the checks narrow what they read. */
type Json = { readonly [key: string]: unknown };
type Unary = (
  request: Json,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (e: grpc.ServiceError | null, r?: Json) => void,
) => void;

function field(o: unknown, ...path: string[]): unknown {
  let v: unknown = o;
  for (const key of path) v = typeof v === "object" && v !== null ? (v as Json)[key] : undefined;
  return v;
}

function asArray(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Loads the two services from the .proto files, as any third-party gRPC user would. */
function loadServices(): { florence: grpc.Client; models: grpc.Client } {
  const definition = protoLoader.loadSync(["florence/v1/florence_service.proto", "florence/v1/model_service.proto"], {
    includeDirs: [args.proto, args["third-party-proto"]],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition);
  const v1 = field(pkg, "florence", "v1") as Record<string, grpc.ServiceClientConstructor>;
  const credentials = grpc.credentials.createInsecure();
  const options = { "grpc.max_receive_message_length": 64 * 1024 * 1024 };
  const Florence = v1.FlorenceService;
  const Models = v1.ModelService;
  if (Florence === undefined || Models === undefined)
    throw new Error("proto-loader did not find florence.v1.FlorenceService/ModelService");
  return { florence: new Florence(address, credentials, options), models: new Models(address, credentials, options) };
}

function unary(client: grpc.Client, method: string, request: Json): Promise<Json> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  if (fn === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (e, r) =>
      e ? reject(e) : resolve(r ?? {}),
    );
  });
}

const failures: string[] = [];
async function check(name: string, body: () => Promise<string>): Promise<void> {
  try {
    console.log(`PASS grpc-js ${name}: ${await body()}`);
  } catch (e) {
    failures.push(name);
    console.log(`FAIL grpc-js ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function expectThat(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new Error(`${what}; got ${JSON.stringify(got)?.slice(0, 400)}`);
}

const png = await readFile(args.image);
const { florence, models } = loadServices();
// Small decoding limits keep a real model on CPU quick; they are only upper bounds.
const options = { numBeams: 1, maxNewTokens: 8 };

await check("ListModels (unary, ModelService)", async () => {
  const r = await unary(models, "listModels", {});
  const tasks = asArray(field(r, "models", "0", "tasks"));
  expectThat(tasks.includes("TASK_CAPTION"), "models[0].tasks should include TASK_CAPTION", r);
  return `model ${String(field(r, "models", "0", "id"))}, ${tasks.length} tasks`;
});

await check("CaptionImage (unary)", async () => {
  const r = await unary(florence, "captionImage", { images: [{ encoded: png }, { encoded: png }], options });
  const results = asArray(field(r, "results"));
  expectThat(results.length === 2, "one result per image (2)", r);
  for (const result of results) {
    expectThat(field(result, "task") === "TASK_CAPTION", "task TASK_CAPTION", result);
    expectThat(typeof field(result, "text") === "string", "a text", result);
    const confidence = field(result, "confidence");
    expectThat(typeof confidence === "number" && confidence >= 0 && confidence <= 1, "confidence in [0, 1]", result);
    const size = field(result, "imageSize");
    expectThat(field(size, "width") === 12 && field(size, "height") === 9, "imageSize 12x9 (the PNG's size)", size);
  }
  return `2 results, first text ${JSON.stringify(field(results[0], "text"))}`;
});

await check("CaptionImage with an empty image -> INVALID_ARGUMENT", async () => {
  const e = await unary(florence, "captionImage", { images: [{ encoded: Buffer.alloc(0) }] }).then(
    () => undefined,
    (err: grpc.ServiceError) => err,
  );
  expectThat(e?.code === grpc.status.INVALID_ARGUMENT, "status INVALID_ARGUMENT", e?.code);
  return `status ${e?.code}: ${e?.details}`;
});

type Bidi = (metadata: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientDuplexStream<Json, Json>;

await check("StreamFrames (bidi): config, then encoded, raw and bad frames; one answer each, in order", async () => {
  const open = (florence as unknown as Record<string, Bidi>).streamFrames;
  if (open === undefined) throw new Error("no method streamFrames");
  const call = open.call(florence, new grpc.Metadata(), { deadline: Date.now() + deadlineMs });
  const answers: Json[] = [];
  const done = new Promise<void>((resolve, reject) => {
    call.on("data", (a: Json) => answers.push(a));
    call.on("end", resolve);
    call.on("error", reject);
  });
  const raw = { width: 4, height: 3, format: "PIXEL_FORMAT_RGB", data: Buffer.alloc(4 * 3 * 3, 128) };
  call.write({ config: { task: { task: "TASK_CAPTION" }, options } });
  call.write({ frame: { frameId: "1", timestampUs: "1000", image: { encoded: png } } });
  call.write({ frame: { frameId: "2", timestampUs: "2000", image: { raw } } });
  call.write({ frame: { frameId: "3", timestampUs: "3000", image: { encoded: Buffer.alloc(0) } } });
  call.write({ frame: { frameId: "4", timestampUs: "4000", image: { encoded: png }, task: { task: "TASK_OCR" } } });
  call.end();
  await done;

  expectThat(
    answers.map((a) => field(a, "frameId")).join(",") === "1,2,3,4",
    "answers for frames 1,2,3,4 in order",
    answers,
  );
  expectThat(
    answers.map((a) => field(a, "outcome")).join(",") === "result,result,error,result",
    "outcomes result,result,error,result",
    answers,
  );
  expectThat(
    field(answers[1], "result", "text", "imageSize", "width") === 4,
    "the raw frame's result is 4x3",
    answers[1],
  );
  expectThat(
    field(answers[2], "error", "code") === grpc.status.INVALID_ARGUMENT,
    "the empty frame's error code is INVALID_ARGUMENT",
    answers[2],
  );
  expectThat(field(answers[3], "task") === "TASK_OCR", "frame 4 switched the task to TASK_OCR", answers[3]);
  expectThat(field(answers[0], "timestampUs") === "1000", "timestamps are echoed", answers[0]);
  return `4 answers: ${answers.map((a) => `${String(field(a, "frameId"))}=${String(field(a, "outcome"))}`).join(" ")}`;
});

florence.close();
models.close();
console.log(
  failures.length === 0 ? "grpc-js interop: all checks passed" : `grpc-js interop: FAILED ${failures.join("; ")}`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
