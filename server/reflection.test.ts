import type { MessageInitShape } from "@bufbuild/protobuf";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ServerReflectionRequestSchema } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { answerReflectionRequest, buildReflectionIndex } from "./reflection.js";
import { SERVED_SERVICES } from "./server.js";

const index = buildReflectionIndex(SERVED_SERVICES);

type RequestInit = NonNullable<MessageInitShape<typeof ServerReflectionRequestSchema>["messageRequest"]>;

function ask(messageRequest: RequestInit) {
  return answerReflectionRequest(index, create(ServerReflectionRequestSchema, { host: "h", messageRequest }));
}

/** The file names of a file_descriptor_response, first the asked-for file. */
function fileNames(answer: ReturnType<typeof ask>): string[] {
  if (answer.messageResponse.case !== "fileDescriptorResponse") {
    throw new Error(
      `expected files, got ${answer.messageResponse.case}: ${JSON.stringify(answer.messageResponse.value)}`,
    );
  }
  return answer.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
}

describe("reflection answers", () => {
  it("lists every served service and echoes the request", () => {
    const answer = ask({ case: "listServices", value: "" });
    expect(answer.validHost).toBe("h");
    expect(answer.originalRequest?.messageRequest.case).toBe("listServices");
    if (answer.messageResponse.case !== "listServicesResponse") throw new Error(answer.messageResponse.case);
    expect(answer.messageResponse.value.service.map((s) => s.name)).toEqual([
      "florence.v1.FlorenceService",
      "florence.v1.ModelService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  it.each([
    ["a service", "florence.v1.FlorenceService", "florence/v1/florence_service.proto"],
    ["a method", "florence.v1.FlorenceService.StreamFrames", "florence/v1/florence_service.proto"],
    ["a leading-dot name", ".florence.v1.ModelService", "florence/v1/model_service.proto"],
    ["a message", "florence.v1.TaskResult", "florence/v1/results.proto"],
    ["a nested message", "google.rpc.BadRequest.FieldViolation", "google/rpc/error_details.proto"],
    ["an enum", "florence.v1.PixelFormat", "florence/v1/image.proto"],
    ["a nested enum", "grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
  ])("finds the file of %s", (_what, symbol, file) => {
    expect(fileNames(ask({ case: "fileContainingSymbol", value: symbol }))[0]).toBe(file);
  });

  it("sends each file with all its transitive dependencies, each once", () => {
    const names = fileNames(ask({ case: "fileByFilename", value: "florence/v1/florence_service.proto" }));
    expect(new Set(names).size).toBe(names.length);
    // Closed under imports: every dependency of every file sent is itself sent.
    const answer = ask({ case: "fileByFilename", value: "florence/v1/florence_service.proto" });
    if (answer.messageResponse.case !== "fileDescriptorResponse") throw new Error("no files");
    for (const bytes of answer.messageResponse.value.fileDescriptorProto) {
      for (const dep of fromBinary(FileDescriptorProtoSchema, bytes).dependency) expect(names).toContain(dep);
    }
    expect(names).toEqual(
      expect.arrayContaining([
        "florence/v1/frames.proto",
        "google/rpc/error_details.proto",
        "google/protobuf/duration.proto",
      ]),
    );
  });

  it("answers NOT_FOUND in-band for unknown files, symbols and extensions", () => {
    const requests: RequestInit[] = [
      { case: "fileByFilename", value: "nope.proto" },
      { case: "fileContainingSymbol", value: "florence.v1.Nope" },
      { case: "fileContainingExtension", value: { containingType: "florence.v1.Image", extensionNumber: 100 } },
      { case: "allExtensionNumbersOfType", value: "florence.v1.Nope" },
    ];
    for (const request of requests) {
      const answer = ask(request);
      expect(answer.messageResponse.case).toBe("errorResponse");
      expect(answer.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
    }
  });

  it("reports no extension numbers for a known type and rejects an empty request", () => {
    const numbers = ask({ case: "allExtensionNumbersOfType", value: "florence.v1.Image" });
    expect(numbers.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "florence.v1.Image", extensionNumber: [] },
    });
    expect(ask({ case: undefined }).messageResponse).toMatchObject({
      case: "errorResponse",
      value: { errorCode: Code.InvalidArgument },
    });
  });
});
