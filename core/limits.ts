/**
 * The limits on one request, one concept for the engine, the server and the client: the engine
 * enforces the decoding bounds, the server all of them (its options set them, ListModels reports
 * them to clients).
 */

/** Bounds of the decoding parameters a caller may ask for. */
export interface DecodingLimits {
  /** Largest max_new_tokens (also the cap of min_new_tokens). */
  readonly maxNewTokens: number;
  /** Largest num_beams. */
  readonly maxNumBeams: number;
}

/** What one request (or stream) may ask of a server. */
export interface RequestLimits extends DecodingLimits {
  /** Most images in one request. */
  readonly maxImagesPerRequest: number;
  /** Most tasks in one RunTasks request. */
  readonly maxTasksPerRequest: number;
  /** Most frames one stream may have in the engine at once (its max_in_flight cap). */
  readonly maxFramesInFlightPerStream: number;
}
