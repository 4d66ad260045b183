/** The result types live in core/ (the client returns the same shapes); re-exported for the engine's modules. */
export type * from "../core/geometry.js";
export type * from "../core/results.js";
