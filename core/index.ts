/**
 * The shared nouns of the engine, the server and the client: results, inputs, geometry, decoding
 * parameters, limits, timings, model descriptions, and the one task table with its shortcuts.
 * Plain types, data and tiny pure functions; this folder imports nothing, so the client can use it
 * without pulling in any of the engine.
 */
export * from "./decoding.js";
export type * from "./geometry.js";
export * from "./inputs.js";
export type * from "./limits.js";
export type * from "./model-info.js";
export type * from "./results.js";
export * from "./shortcuts.js";
export * from "./tasks.js";
export type * from "./timings.js";
