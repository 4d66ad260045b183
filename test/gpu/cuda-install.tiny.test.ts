/**
 * `npm run gpu:install` on a machine without a GPU (docs/gpu.md): into a private copy of
 * onnxruntime-node (test/gpu/support/ort-copy.ts), so the node_modules other tests share never
 * gains or loses the CUDA provider. The wheels (1.35 GB) and the extracted libraries go to the
 * default cache, .cache/florence2-gpu, so only the first run downloads. Proves:
 *   - without the provider libraries, loading on cuda through our loading code fails with our
 *     provider_unavailable error that says `npm run gpu:install`, not onnxruntime's NuGet advice;
 *   - after the install, every library the CUDA provider needs resolves (ldd, parsed) except the
 *     driver's libcuda.so.1, and cuDNN 9 is there and resolves the same way;
 *   - loading on cuda then fails naming the NVIDIA driver (libcuda.so.1) and its minimum version;
 *     on a host that has the driver it loads instead;
 *   - a second run reuses the cache without the network (--offline), and --remove takes it out.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CUDA_DRIVER_MIN,
  CUDA_PROVIDER_FILES,
  DRIVER_LIBRARY,
  parseLdd,
} from "../../models/loading/provider-errors.js";
import { copyOnnxruntimeNode, type InstallRun, loadOnCuda, type OrtCopy, runInstall } from "./support/ort-copy.js";

const python = process.env.PYTHON ?? "python3";
const hasPip = spawnSync(python, ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0;
const linuxX64 = process.platform === "linux" && process.arch === "x64";
/** The install downloads 1.35 GB of wheels on its first run (cached after it); 0 opts out. */
const optedOut = process.env.FLORENCE2_GPU_INSTALL_TEST === "0";
/** The install itself takes minutes only on its first run (download and extraction). */
const INSTALL_MS = 15 * 60_000;

function ldd(file: string): ReadonlyMap<string, string | null> {
  return parseLdd(execFileSync("ldd", [file], { encoding: "utf8" }));
}

const unresolved = (libs: ReadonlyMap<string, string | null>) =>
  [...libs].filter(([, path]) => path === null).map(([name]) => name);

describe.skipIf(optedOut || !hasPip || !linuxX64)(
  `npm run gpu:install without a GPU (skipped where ${python} with pip is missing, or off Linux x64: the install downloads the Linux x64 wheels with pip; or with FLORENCE2_GPU_INSTALL_TEST=0, which skips its 1.35 GB first download)`,
  () => {
    let work = "";
    let copy: OrtCopy;
    let first: InstallRun;
    let marker: { libDir: string; runpath: string; driverMin: string; libraries: Record<string, number> };
    let before: Awaited<ReturnType<typeof loadOnCuda>>;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "florence2-gpu-"));
      copy = copyOnnxruntimeNode(work);
      before = await loadOnCuda(copy);
      first = await runInstall(["--ort-package", copy.pkg], INSTALL_MS);
      if (first.code === 0) marker = JSON.parse(readFileSync(join(copy.bindingDir, "florence2-cuda.json"), "utf8"));
    }, INSTALL_MS + 120_000);

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it("without the provider libraries, cuda fails with our error that says npm run gpu:install", () => {
      expect(before.kind).toBe("provider_unavailable");
      expect(before.message).toMatch(/CUDA provider libraries .* are not installed/);
      expect(before.message).toMatch(
        /run `npx florence2 gpu-install` \(in a clone of the repository: `npm run gpu:install`\)/,
      );
      expect(before.message).not.toMatch(/NuGet|ONNXRUNTIME_NODE_INSTALL|cuda12/);
    });

    it("the install succeeds and reports what it installed and the driver it needs", () => {
      expect(first.stderr).not.toMatch(/^gpu:install: /m);
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/installed 18 libraries, [\d,.]+ MB in /);
      expect(first.stderr).toContain(`needs an NVIDIA driver >= ${CUDA_DRIVER_MIN} (CUDA 13)`);
      expect(marker.driverMin).toBe(CUDA_DRIVER_MIN);
      for (const f of CUDA_PROVIDER_FILES) expect(existsSync(join(copy.bindingDir, f))).toBe(true);
      // Relocatable first: the provider finds the libraries relative to itself, the absolute path second.
      expect(marker.runpath.startsWith("$ORIGIN/")).toBe(true);
    });

    it("every library the CUDA provider links resolves from the installed folder, except the driver's", () => {
      const libs = ldd(join(copy.bindingDir, CUDA_PROVIDER_FILES[1]));
      for (const cuda of ["libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10", "libcudart.so.13"]) {
        // ldd prints the RUNPATH as written ($ORIGIN/../..): normalize before comparing.
        expect(resolve(libs.get(cuda) ?? "not found"), cuda).toBe(join(marker.libDir, cuda));
      }
      expect(unresolved(libs).filter((n) => n !== DRIVER_LIBRARY)).toEqual([]);
      expect(libs.has(DRIVER_LIBRARY)).toBe(true);
    });

    it("cuDNN 9 is installed, and its libraries and nvrtc resolve except the driver's", () => {
      const cudnn = readdirSync(marker.libDir).filter((f) => /^libcudnn.*\.so\.9$/.test(f));
      expect(cudnn).toEqual(
        expect.arrayContaining(["libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9"]),
      );
      for (const f of [...cudnn, "libnvrtc.so.13", "libcublas.so.13"]) {
        expect(
          unresolved(ldd(join(marker.libDir, f))).filter((n) => n !== DRIVER_LIBRARY),
          f,
        ).toEqual([]);
      }
    });

    it("cuda then fails naming the missing NVIDIA driver and what to do (or loads, where a driver is present)", async () => {
      const driver = ldd(join(copy.bindingDir, CUDA_PROVIDER_FILES[1])).get(DRIVER_LIBRARY);
      const after = await loadOnCuda(copy);
      if (driver) {
        // A GPU host: the provider loads; "loaded" or a CUDA error past the libraries.
        expect(after.message ?? "").not.toMatch(/not installed|cannot find/);
        return;
      }
      expect(after.kind).toBe("provider_unavailable");
      expect(after.message).toMatch(/no NVIDIA driver: libcuda\.so\.1/);
      expect(after.message).toContain(`${CUDA_DRIVER_MIN} or newer (CUDA 13)`);
      expect(after.message).toMatch(/--gpus all/);
      expect(after.message).not.toMatch(/gpu:install|NuGet|ONNXRUNTIME_NODE_INSTALL/);
    });

    it("runs again from the cache without the network, then --remove takes the provider out", async () => {
      const again = await runInstall(["--ort-package", copy.pkg, "--offline"], INSTALL_MS);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/downloaded 0 new wheels/);
      const removed = await runInstall(["--ort-package", copy.pkg, "--remove"], 60_000);
      expect(removed.code).toBe(0);
      for (const f of CUDA_PROVIDER_FILES) expect(existsSync(join(copy.bindingDir, f))).toBe(false);
      expect((await loadOnCuda(copy)).message).toMatch(
        /run `npx florence2 gpu-install` \(in a clone of the repository: `npm run gpu:install`\)/,
      );
    }, 120_000);
  },
);

describe("tools/gpu/install refuses clearly", () => {
  it.runIf(hasPip)("an onnxruntime-node folder that is not one", async () => {
    const empty = mkdtempSync(join(tmpdir(), "florence2-gpu-bad-"));
    try {
      const run = await runInstall(["--ort-package", empty], 60_000);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^gpu:install: --ort-package .* has no package\.json/m);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it.runIf(hasPip)("an onnxruntime-node version without a pinned wheel set", async () => {
    const other = mkdtempSync(join(tmpdir(), "florence2-gpu-bad-"));
    try {
      writeFileSync(join(other, "package.json"), JSON.stringify({ name: "onnxruntime-node", version: "1.29.0" }));
      const run = await runInstall(["--ort-package", other], 60_000);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/onnxruntime-node 1\.29\.0 has no pinned CUDA wheel set \(known: 1\.30\.0\)/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it.runIf(hasPip && linuxX64)("no network to PyPI, and --offline with an empty wheel cache", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "florence2-gpu-bad-"));
    try {
      // A stand-in for onnxruntime-node 1.30.0, so a failure to fail could not touch the shared node_modules.
      const pkg = join(scratch, "onnxruntime-node");
      const bin = join(pkg, "bin", "napi-v6", "linux", "x64");
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "onnxruntime-node", version: "1.30.0" }));
      writeFileSync(join(bin, "libonnxruntime.so.1"), "");
      const args = ["--ort-package", pkg, "--prefix", join(scratch, "prefix")];
      // An index nobody listens on, no retries: pip fails at once, before anything is placed.
      const unreachable = { PIP_INDEX_URL: "http://127.0.0.1:9/simple", PIP_RETRIES: "0", PIP_FIND_LINKS: "" };
      const online = await runInstall(args, 120_000, unreachable);
      expect(online.code).toBe(1);
      expect(online.stderr).toMatch(/^gpu:install: pip download failed: check the network or proxy to PyPI/m);
      const offline = await runInstall([...args, "--offline"], 60_000);
      expect(offline.code).toBe(1);
      expect(offline.stderr).toMatch(
        /^gpu:install: --offline, and .* lacks onnxruntime-gpu==1\.30\.0, nvidia-cublas==/m,
      );
      for (const f of CUDA_PROVIDER_FILES) expect(existsSync(join(bin, f))).toBe(false);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("a missing Python, with what to install", async () => {
    const run = await runInstall([], 60_000, { PYTHON: "python3-that-does-not-exist" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/needs Python >= 3\.8 with pip .* apt-get install python3 python3-pip/);
  });
});
