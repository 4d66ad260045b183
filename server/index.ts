/**
 * The public API of the Florence-2 gRPC server: create or start a server around a FlorenceEngine,
 * or around several named models it loads itself (FlorenceServerInit.models).
 * It serves florence.v1.FlorenceService and ModelService, grpc.health.v1.Health and gRPC
 * reflection (v1 and v1alpha) over gRPC, gRPC-Web and Connect on one port.
 */
export { CODE_BY_KIND, ERROR_DOMAIN, toConnectError, toFrameError } from "./errors.js";
export { HealthRegistry, ServingStatus } from "./health.js";
export type { EventLogEntry, LogEntry, Logger, RequestLogEntry } from "./logger.js";
export { jsonLineLogger, silentLogger } from "./logger.js";
export type { PreparedServer, RunningServer, StartServerOptions } from "./main.js";
export { InsecureExposureError, prepareServer, startServer } from "./main.js";
export type { ModelBudget, ModelSource, ModelState } from "./model-registry.js";
export type { ReloadResult } from "./security.js";
export type { ServerOptions } from "./options.js";
export { DEFAULT_SERVER_OPTIONS, makeServerOptions } from "./options.js";
export type { CloseOptions, FlorenceServer, FlorenceServerInit, ServerAddress } from "./server.js";
export { createFlorenceServer, SERVED_SERVICES } from "./server.js";
