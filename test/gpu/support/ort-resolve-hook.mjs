/**
 * Node module hook for test/gpu: resolves the bare specifier "onnxruntime-node" to the copy named
 * by FLORENCE2_TEST_ORT_PACKAGE, so a child process runs our loading code against a private copy
 * of onnxruntime-node (with or without the CUDA provider libraries) and never touches the
 * node_modules other tests share. Used as `node --import tsx --import <this file> script.ts`.
 */
import { register } from "node:module";
import { pathToFileURL } from "node:url";

const pkg = process.env.FLORENCE2_TEST_ORT_PACKAGE;
if (!pkg) throw new Error("FLORENCE2_TEST_ORT_PACKAGE must name the onnxruntime-node copy to load");

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === "onnxruntime-node") return { url: ${JSON.stringify(pathToFileURL(`${pkg}/dist/index.js`).href)}, shortCircuit: true, format: "commonjs" };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
