/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) over protobuf-es descriptors: nothing on
 * npm provides it for connect-node. Answers list_services, file_by_filename,
 * file_containing_symbol, file_containing_extension and all_extension_numbers_of_type; file
 * answers carry the file plus its transitive dependencies as serialized FileDescriptorProtos.
 */
import type { DescExtension, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import type {
  ServerReflectionRequest,
  ServerReflectionResponse,
  ServerReflection as ServerReflectionV1,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import {
  ServerReflectionRequestSchema as ServerReflectionRequestV1alphaSchema,
  ServerReflectionResponseSchema as ServerReflectionResponseV1alphaSchema,
} from "../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** Lookup tables over the files that declare the served services and everything they import. */
export interface ReflectionIndex {
  /** Fully-qualified names of the served services, sorted. */
  readonly services: readonly string[];
  readonly fileByName: ReadonlyMap<string, DescFile>;
  /** Messages, enums, services, methods ("pkg.Service.Method") and extensions -> declaring file. */
  readonly fileBySymbol: ReadonlyMap<string, DescFile>;
  /** Extensions by "extendee typeName#number". */
  readonly extensionByKey: ReadonlyMap<string, DescExtension>;
}

export function buildReflectionIndex(services: readonly DescService[]): ReflectionIndex {
  const fileByName = new Map<string, DescFile>();
  const addFile = (file: DescFile) => {
    if (fileByName.has(file.proto.name)) return;
    fileByName.set(file.proto.name, file);
    for (const dep of file.dependencies) addFile(dep);
  };
  for (const service of services) addFile(service.file);

  const fileBySymbol = new Map<string, DescFile>();
  const extensionByKey = new Map<string, DescExtension>();
  const addExtensions = (file: DescFile, extensions: readonly DescExtension[]) => {
    for (const ext of extensions) {
      fileBySymbol.set(ext.typeName, file);
      extensionByKey.set(`${ext.extendee.typeName}#${ext.number}`, ext);
    }
  };
  const addMessage = (file: DescFile, message: DescMessage) => {
    fileBySymbol.set(message.typeName, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
    for (const e of message.nestedEnums) fileBySymbol.set(e.typeName, file);
    addExtensions(file, message.nestedExtensions);
  };
  for (const file of fileByName.values()) {
    for (const message of file.messages) addMessage(file, message);
    for (const e of file.enums) fileBySymbol.set(e.typeName, file);
    for (const service of file.services) {
      fileBySymbol.set(service.typeName, file);
      for (const method of service.methods) fileBySymbol.set(`${service.typeName}.${method.name}`, file);
    }
    addExtensions(file, file.extensions);
  }
  return {
    services: services.map((s) => s.typeName).sort(),
    fileByName,
    fileBySymbol,
    extensionByKey,
  };
}

/** The file first, then its transitive dependencies, each once, serialized. */
function serializeWithDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dep of f.dependencies) visit(dep);
  };
  visit(file);
  return out;
}

/** Answers one reflection request (v1 messages). Pure. */
export function answerReflectionRequest(
  index: ReflectionIndex,
  request: ServerReflectionRequest,
): ServerReflectionResponse {
  const base = { validHost: request.host, originalRequest: request };
  const notFound = (message: string) =>
    create(ServerReflectionResponseSchema, {
      ...base,
      messageResponse: { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } },
    });
  const files = (file: DescFile) =>
    create(ServerReflectionResponseSchema, {
      ...base,
      messageResponse: {
        case: "fileDescriptorResponse",
        value: { fileDescriptorProto: serializeWithDependencies(file) },
      },
    });
  const req = request.messageRequest;
  switch (req.case) {
    case "listServices":
      return create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "listServicesResponse",
          value: { service: index.services.map((name) => ({ name })) },
        },
      });
    case "fileByFilename": {
      const file = index.fileByName.get(req.value);
      return file ? files(file) : notFound(`file not found: ${req.value}`);
    }
    case "fileContainingSymbol": {
      const file = index.fileBySymbol.get(req.value.replace(/^\./, ""));
      return file ? files(file) : notFound(`symbol not found: ${req.value}`);
    }
    case "fileContainingExtension": {
      const ext = index.extensionByKey.get(`${req.value.containingType}#${req.value.extensionNumber}`);
      return ext
        ? files(ext.file)
        : notFound(`extension ${req.value.extensionNumber} of ${req.value.containingType} not found`);
    }
    case "allExtensionNumbersOfType": {
      if (!index.fileBySymbol.has(req.value)) return notFound(`type not found: ${req.value}`);
      const prefix = `${req.value}#`;
      const numbers = [...index.extensionByKey.keys()]
        .filter((key) => key.startsWith(prefix))
        .map((key) => Number(key.slice(prefix.length)));
      return create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: req.value, extensionNumber: numbers },
        },
      });
    }
    default:
      return create(ServerReflectionResponseSchema, {
        ...base,
        messageResponse: {
          case: "errorResponse",
          value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request: set message_request" },
        },
      });
  }
}

export function createReflectionV1Service(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield answerReflectionRequest(index, request);
    },
  };
}

/** v1alpha has the same messages under another package, so requests are transcoded through the wire format. */
export function createReflectionV1alphaService(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1alpha> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const v1 = fromBinary(ServerReflectionRequestSchema, toBinary(ServerReflectionRequestV1alphaSchema, request));
        const answer = answerReflectionRequest(index, v1);
        yield fromBinary(ServerReflectionResponseV1alphaSchema, toBinary(ServerReflectionResponseSchema, answer));
      }
    },
  };
}
