/**
 * Server reflection as grpcurl uses it: a stock @grpc/grpc-js client opens ServerReflectionInfo
 * (v1 and v1alpha), lists the services, asks for the file of a symbol, and the returned
 * FileDescriptorProtos must build a complete registry (every import included) that describes the
 * service's methods.
 */
import type { MessageShape } from "@bufbuild/protobuf";
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { TestServer } from "./harness.js";
import { startTestServer } from "./harness.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.server.close({ graceMs: 1000 }));

type Proto = typeof v1 | typeof v1alpha;
type Request = MessageShape<typeof v1.ServerReflectionRequestSchema>;
type Response = MessageShape<typeof v1.ServerReflectionResponseSchema>;

/** Sends the requests one by one on ONE grpc-js bidi call, as grpcurl does; returns the answers. */
async function reflect(proto: Proto, requests: Request[]): Promise<Response[]> {
  const pkg = proto === v1 ? "grpc.reflection.v1" : "grpc.reflection.v1alpha";
  const serialize = (m: Request) => Buffer.from(toBinary(v1.ServerReflectionRequestSchema, m));
  // A bare grpc-js client; the wire format is the same for both versions, so v1's schema decodes both.
  const client = new grpc.Client(new URL(t.url).host, grpc.credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest(`/${pkg}.ServerReflection/ServerReflectionInfo`, serialize, (b: Buffer) =>
      fromBinary(v1.ServerReflectionResponseSchema, b),
    );
    const answers: Response[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (r: Response) => {
        answers.push(r);
        const next = requests[answers.length];
        if (next) call.write(next);
        else call.end();
      });
      call.on("error", reject);
      call.on("end", () => resolve());
    });
    const first = requests[0];
    if (first === undefined) throw new Error("no requests");
    call.write(first);
    await done;
    return answers;
  } finally {
    client.close();
  }
}

/**
 * Orders files so each comes after its imports, as a FileDescriptorSet must be. The reflection
 * protocol does not order them (grpc-go, like this server, sends the asked-for file first).
 * A missing import stays missing, so createFileRegistry still reports it.
 */
function dependenciesFirst(files: readonly FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const out: FileDescriptorProto[] = [];
  const visit = (f: FileDescriptorProto) => {
    if (out.includes(f)) return;
    for (const dep of f.dependency) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    out.push(f);
  };
  files.forEach(visit);
  return out;
}

const req = (messageRequest: Request["messageRequest"]) => create(v1.ServerReflectionRequestSchema, { messageRequest });

describe.each([
  ["v1", v1],
  ["v1alpha", v1alpha],
] as const)("reflection %s over grpc-js", (_name, proto) => {
  it("lists the services and returns a self-contained descriptor set for a symbol", async () => {
    const [list, files, missing] = await reflect(proto, [
      req({ case: "listServices", value: "*" }),
      req({ case: "fileContainingSymbol", value: "florence.v1.FlorenceService" }),
      req({ case: "fileContainingSymbol", value: "florence.v1.DoesNotExist" }),
    ]);
    expect(list?.messageResponse.case).toBe("listServicesResponse");
    const names =
      list?.messageResponse.case === "listServicesResponse"
        ? list.messageResponse.value.service.map((s) => s.name)
        : [];
    expect(names).toEqual(
      expect.arrayContaining(["florence.v1.FlorenceService", "florence.v1.ModelService", "grpc.health.v1.Health"]),
    );

    if (files?.messageResponse.case !== "fileDescriptorResponse") throw new Error(`got ${files?.messageResponse.case}`);
    const received = files.messageResponse.value.fileDescriptorProto.map((b) =>
      fromBinary(FileDescriptorProtoSchema, b),
    );
    expect(received[0]?.name).toBe("florence/v1/florence_service.proto");
    // Built only from what the server sent; createFileRegistry throws if any import is missing.
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(received) }));
    const service = registry.getService("florence.v1.FlorenceService");
    expect(service?.methods.map((m) => m.name)).toEqual(
      expect.arrayContaining(["CaptionImage", "RunTasks", "StreamFrames"]),
    );
    expect(service?.methods.find((m) => m.name === "StreamFrames")?.methodKind).toBe("bidi_streaming");
    expect(registry.getMessage("florence.v1.SegmentedInstance")?.fields.map((f) => f.name)).toContain("mask");

    expect(missing?.messageResponse).toMatchObject({
      case: "errorResponse",
      value: { errorCode: grpc.status.NOT_FOUND },
    });
  });
});
