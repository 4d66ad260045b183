/**
 * Recognizes onnxruntime-node's failures to start an execution provider and explains them. The
 * texts matched here are what ORT 1.30 reports on a machine without the provider (seen on linux x64):
 *   cuda:   "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library"
 *           (the log adds "libonnxruntime_providers_shared.so: cannot open shared object file")
 *   webgpu: "...webgpu_context.cc:136 ... Failed to get a WebGPU adapter: No supported adapters"
 *           (the log adds "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file")
 * With the CUDA provider installed but no usable GPU/driver, ORT reports CUDA/cuDNN errors instead.
 */
import type { ExecutionProviderName } from "../engine.js";

const PROVIDER_PATTERNS: Readonly<Record<Exclude<ExecutionProviderName, "cpu">, RegExp>> = {
  cuda: /AppendExecutionProvider_Cuda|providers_cuda|providers_shared|CUDA|cuda|cudnn|cuDNN|cublas|no available backend/,
  webgpu: /WebGPU|webgpu|Vulkan|vulkan|adapter|Dawn|no available backend/,
};

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isProviderFailure(e: unknown, provider: Exclude<ExecutionProviderName, "cpu">): boolean {
  return PROVIDER_PATTERNS[provider].test(messageOf(e));
}

/** The last meaningful line of ORT's message, without the source-file prefix. */
function ortSays(e: unknown): string {
  const lines = messageOf(e)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const line = lines.at(-1) ?? "";
  // "/onnxruntime_src/...cc:136 fn(...)::<lambda()> cond was false. Failed to get …" → "Failed to get …"
  const tail = /was false\.\s*(.*)$/.exec(line)?.[1] ?? line;
  return tail.slice(0, 300);
}

export function describeProviderFailure(e: unknown, provider: Exclude<ExecutionProviderName, "cpu">): string {
  if (provider === "cuda") {
    return (
      `execution provider "cuda" is not available: onnxruntime-node could not load its CUDA provider (ORT said: ${ortSays(e)}). ` +
      "The npm package bundles only the CPU and WebGPU providers: reinstall onnxruntime-node with its CUDA 12 install script " +
      "(ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node, which downloads libonnxruntime_providers_cuda.so and " +
      "libonnxruntime_providers_shared.so), and make the CUDA 12 runtime and cuDNN 9 libraries loadable (e.g. via LD_LIBRARY_PATH) " +
      "with an NVIDIA driver and GPU present; or use --device cpu"
    );
  }
  return (
    `execution provider "webgpu" is not available: no WebGPU adapter could be created (ORT said: ${ortSays(e)}). ` +
    "On Linux onnxruntime-node's WebGPU runs on Vulkan: it needs the Vulkan loader (libvulkan.so.1) and a GPU driver with Vulkan support; " +
    "or use --device cpu"
  );
}
