/**
 * No answer shows a filesystem path: the loaders' messages name the files and folders they read,
 * which is what an operator needs and what a caller must not learn about the server's disk.
 * errors.ts applies withoutPaths to every engine error it answers with; the full message stays in
 * the error that the server log writes.
 */

/**
 * `text` without any filesystem path, so no answer shows how the server's disk is laid out: a
 * file's path becomes its file name ("config.json"), a folder's becomes HIDDEN_FOLDER. Absolute
 * POSIX and Windows paths, `~/`, `./`, `../` and file:// URLs count; relative names inside a model
 * folder ("onnx/encoder_model.onnx") and http(s) URLs are kept, as they say what to fix.
 */
export function withoutPaths(text: string): string {
  return text.replace(PATH, (path) => {
    const trimmed = path.replace(/[.]+$/, "");
    const name = trimmed.split(/[\\/]/).pop() ?? "";
    const shown = FILE_NAME.test(name) ? name : HIDDEN_FOLDER;
    return shown + path.slice(trimmed.length);
  });
}

/** What a folder's path becomes in an answer; the server log has the full message. */
export const HIDDEN_FOLDER = "[path in the server log]";

/** A path: not inside a word, a URL or another path; what follows the slash runs to a space or quote. */
const PATH = /(?<![\w.~:/\\-])(?:(?:file:\/\/|~|\.{1,2})?\/|[A-Za-z]:\\)[^\s'"`,;:()[\]{}<>|*?]+/g;
/** A file name with an extension ("config.json", "model.onnx_data"), not a hidden folder (".cache"). */
const FILE_NAME = /^[^.].*\.[A-Za-z0-9_]{1,12}$/;
