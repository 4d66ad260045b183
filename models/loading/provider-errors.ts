/**
 * Recognizes onnxruntime-node's failures to start an execution provider and explains them. The
 * texts matched here are what ORT 1.30 reports on a machine without the provider (seen on linux x64):
 *   cuda:   "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library"
 *   webgpu: "...webgpu_context.cc:136 ... Failed to get a WebGPU adapter: No supported adapters"
 *           (the log adds "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file")
 *
 * For cuda ORT throws that same sentence whatever is missing (the provider libraries, a CUDA
 * library, the driver); only its log says which. So the message is built from our own look at the
 * folder ORT loads providers from (the folder of the libonnxruntime.so.1 this process mapped):
 * are the provider libraries there (`npm run gpu:install` puts them there, docs/gpu.md), and which
 * of their libraries does ldd fail to resolve. Done only after a failure, so it costs nothing at
 * a normal start.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import type { ExecutionProviderName } from "../engine.js";

const PROVIDER_PATTERNS: Readonly<Record<Exclude<ExecutionProviderName, "cpu">, RegExp>> = {
  cuda: /AppendExecutionProvider_Cuda|providers_cuda|providers_shared|CUDA|cuda|cudnn|cuDNN|cublas|no available backend/,
  webgpu: /WebGPU|webgpu|Vulkan|vulkan|adapter|Dawn|no available backend/,
};

/** The two files onnxruntime-node loads from the folder of its libonnxruntime.so.1 for cuda. */
export const CUDA_PROVIDER_FILES = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"] as const;
/** The NVIDIA driver's library: comes with the driver, never from `npm run gpu:install`. */
export const DRIVER_LIBRARY = "libcuda.so.1";
/** CUDA 13.0's minimum Linux driver (NVIDIA's CUDA 13.0 release notes); tools/gpu/install.py says the same. */
export const CUDA_DRIVER_MIN = "580.65.06";
const CUDNN_LIBRARY = "libcudnn.so.9";
/** The install command, for an installed package and for a clone of the repository. */
const INSTALL = "`npx florence2 gpu-install` (in a clone of the repository: `npm run gpu:install`)";
const INSTALL_HINT =
  `run ${INSTALL} (onnxruntime-gpu's CUDA provider with the CUDA 13 and cuDNN 9 libraries, from PyPI; docs/gpu.md) ` +
  `on a machine with an NVIDIA GPU and driver ${CUDA_DRIVER_MIN} or newer`;

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

/** `ldd` output: each NEEDED library -> the path it resolves to, or null for "not found". */
export function parseLdd(text: string): ReadonlyMap<string, string | null> {
  const libs = new Map<string, string | null>();
  for (const m of text.matchAll(/^\s*(\S+) => (?:not found|(\S+) \(0x[0-9a-f]+\))/gm)) {
    libs.set(m[1] as string, m[2] ?? null);
  }
  return libs;
}

/** What we could see of the CUDA provider's installation. */
export interface CudaProviderState {
  /** Both provider libraries are in the folder ORT loads them from. */
  readonly installed: boolean;
  /** ldd's view of the CUDA provider library; undefined when not installed or ldd could not run. */
  readonly ldd: ReadonlyMap<string, string | null> | undefined;
  /** libcudnn.so.9 next to the resolved CUDA runtime or on LD_LIBRARY_PATH (ORT loads it at run time). */
  readonly cudnn: boolean;
}

/** Folder of the libonnxruntime.so.1 this process mapped (ORT looks for providers there), else the package's. */
export function ortLibraryDir(maps = "/proc/self/maps"): string | undefined {
  try {
    const line = readFileSync(maps, "utf8")
      .split("\n")
      .find((l) => /\/libonnxruntime\.so(\.\d+)*$/.test(l));
    if (line) return dirname(line.slice(line.indexOf("/")));
  } catch {
    // no procfs (not Linux): fall back to where the package keeps its binaries
  }
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
    return join(pkg, "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return undefined;
  }
}

function runLdd(file: string): string | undefined {
  try {
    return execFileSync("ldd", [file], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}

export function inspectCudaProvider(
  dir: string | undefined,
  ldd: (file: string) => string | undefined = runLdd,
): CudaProviderState {
  const installed = dir !== undefined && CUDA_PROVIDER_FILES.every((f) => existsSync(join(dir, f)));
  if (!installed) return { installed, ldd: undefined, cudnn: false };
  const text = ldd(join(dir, CUDA_PROVIDER_FILES[1]));
  const libs = text === undefined ? undefined : parseLdd(text);
  const runtime = libs?.get("libcudart.so.13");
  const dirs = [...(runtime ? [dirname(runtime)] : []), ...(process.env.LD_LIBRARY_PATH ?? "").split(delimiter)];
  const cudnn = dirs.some((d) => d !== "" && existsSync(join(d, CUDNN_LIBRARY)));
  return { installed, ldd: libs, cudnn };
}

const DRIVER_HINT =
  `install the NVIDIA driver, ${CUDA_DRIVER_MIN} or newer (CUDA 13), on a machine with an NVIDIA GPU; ` +
  "in a container, run it with the NVIDIA Container Toolkit (docker run --gpus all, or a Kubernetes nvidia.com/gpu " +
  "resource), which mounts the driver's libcuda.so.1 in";

/** The cuda message for what inspectCudaProvider saw; pure, so every case is unit-tested. */
export function describeCudaFailure(e: unknown, state: CudaProviderState): string {
  const head = 'execution provider "cuda" is not available: ';
  const tail = "; or use --device cpu";
  if (!state.installed) {
    return `${head}onnxruntime-node's CUDA provider libraries (${CUDA_PROVIDER_FILES.join(", ")}) are not installed (ORT said: ${ortSays(e)}): ${INSTALL_HINT}${tail}`;
  }
  if (state.ldd === undefined) {
    return `${head}onnxruntime could not load its CUDA provider (ORT said: ${ortSays(e)}), and ldd could not tell why: rerun ${INSTALL} and read its ldd report; the NVIDIA driver must be ${CUDA_DRIVER_MIN} or newer${tail}`;
  }
  const missing = [...state.ldd].filter(([, path]) => path === null).map(([name]) => name);
  const libraries = missing.filter((name) => name !== DRIVER_LIBRARY);
  if (libraries.length > 0) {
    return `${head}the CUDA provider cannot find ${libraries.join(", ")} (CUDA 13 libraries that ${INSTALL} places): rerun it, the folder it filled was moved or deleted${tail}`;
  }
  if (missing.includes(DRIVER_LIBRARY)) {
    return `${head}no NVIDIA driver: ${DRIVER_LIBRARY}, the driver's CUDA library, cannot be found (every other library the CUDA provider needs is installed): ${DRIVER_HINT}${tail}`;
  }
  const cudnn = state.cudnn
    ? ""
    : `; cuDNN 9 (${CUDNN_LIBRARY}) is not next to the CUDA runtime either: rerun ${INSTALL}`;
  return `${head}its libraries and the driver's ${DRIVER_LIBRARY} all load, so CUDA itself failed (ORT said: ${ortSays(e)}): check that \`nvidia-smi\` lists the GPU and that the driver is ${CUDA_DRIVER_MIN} or newer${cudnn}${tail}`;
}

export function describeProviderFailure(e: unknown, provider: Exclude<ExecutionProviderName, "cpu">): string {
  if (provider === "cuda") return describeCudaFailure(e, inspectCudaProvider(ortLibraryDir()));
  return (
    `execution provider "webgpu" is not available: no WebGPU adapter could be created (ORT said: ${ortSays(e)}). ` +
    "On Linux onnxruntime-node's WebGPU runs on Vulkan: it needs the Vulkan loader (libvulkan.so.1) and a GPU driver with Vulkan support; " +
    "or use --device cpu"
  );
}
