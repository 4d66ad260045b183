import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CUDA_DRIVER_MIN,
  CUDA_PROVIDER_FILES,
  type CudaProviderState,
  describeCudaFailure,
  inspectCudaProvider,
  ortLibraryDir,
  parseLdd,
} from "./provider-errors.js";

const ORT_ERROR = new Error("OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library");

// The shape of `ldd libonnxruntime_providers_cuda.so` after `npm run gpu:install` on a machine without a driver.
const LDD_NO_DRIVER = `	linux-vdso.so.1 (0x00007ffd1a9e2000)
	libcublasLt.so.13 => /opt/gpu/lib/libcublasLt.so.13 (0x00007f0d64400000)
	libcublas.so.13 => /opt/gpu/lib/libcublas.so.13 (0x00007f0d60c00000)
	libcurand.so.10 => /opt/gpu/lib/libcurand.so.10 (0x00007f0d59e00000)
	libcudart.so.13 => /opt/gpu/lib/libcudart.so.13 (0x00007f0d59a00000)
	libcuda.so.1 => not found
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8571c1e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f8586115000)
`;

const state = (ldd: string | undefined, cudnn = true): CudaProviderState => ({
  installed: true,
  ldd: ldd === undefined ? undefined : parseLdd(ldd),
  cudnn,
});

describe("parseLdd", () => {
  it("maps each needed library to its path or null, skipping the vdso and the loader", () => {
    const libs = parseLdd(LDD_NO_DRIVER);
    expect([...libs.keys()]).toEqual([
      "libcublasLt.so.13",
      "libcublas.so.13",
      "libcurand.so.10",
      "libcudart.so.13",
      "libcuda.so.1",
      "libc.so.6",
    ]);
    expect(libs.get("libcudart.so.13")).toBe("/opt/gpu/lib/libcudart.so.13");
    expect(libs.get("libcuda.so.1")).toBeNull();
  });

  it("reads nothing from an empty or unrelated text", () => {
    expect(parseLdd("").size).toBe(0);
    expect(parseLdd("\tnot a dynamic executable\n").size).toBe(0);
  });
});

describe("describeCudaFailure", () => {
  const cases: [string, CudaProviderState, RegExp[], RegExp[]][] = [
    [
      "provider libraries not installed",
      { installed: false, ldd: undefined, cudnn: false },
      [
        /are not installed \(ORT said: OrtSessionOptionsAppendExecutionProvider_Cuda/,
        /run `npx florence2 gpu-install` \(in a clone of the repository: `npm run gpu:install`\)/,
      ],
      [/NuGet|ONNXRUNTIME_NODE_INSTALL/],
    ],
    [
      "only the driver missing",
      state(LDD_NO_DRIVER),
      [
        /no NVIDIA driver: libcuda\.so\.1/,
        new RegExp(`${CUDA_DRIVER_MIN.replaceAll(".", "\\.")} or newer \\(CUDA 13\\)`),
        /--gpus all/,
      ],
      [/gpu:install/, /NuGet/],
    ],
    [
      "a CUDA library missing as well",
      state(LDD_NO_DRIVER.replace("/opt/gpu/lib/libcublasLt.so.13 (0x00007f0d64400000)", "not found")),
      [/cannot find libcublasLt\.so\.13 \(CUDA 13 libraries/, /rerun it/],
      [/libcuda\.so\.1/],
    ],
    [
      "everything loads: CUDA itself failed",
      state(
        LDD_NO_DRIVER.replace(
          "libcuda.so.1 => not found",
          "libcuda.so.1 => /usr/lib/libcuda.so.1 (0x00007f0000000000)",
        ),
      ),
      [/all load, so CUDA itself failed \(ORT said: /, /nvidia-smi/],
      [/cuDNN/],
    ],
    [
      "everything loads but cuDNN is absent",
      state(
        LDD_NO_DRIVER.replace(
          "libcuda.so.1 => not found",
          "libcuda.so.1 => /usr/lib/libcuda.so.1 (0x00007f0000000000)",
        ),
        false,
      ),
      [/cuDNN 9 \(libcudnn\.so\.9\) is not next to the CUDA runtime/],
      [],
    ],
    ["ldd unavailable", state(undefined), [/ldd could not tell why/, /rerun `npx florence2 gpu-install`/], []],
  ];
  it.each(cases)("%s", (_name, s, present, absent) => {
    const message = describeCudaFailure(ORT_ERROR, s);
    expect(message).toMatch(/^execution provider "cuda" is not available: /);
    expect(message).toMatch(/; or use --device cpu$/);
    for (const re of present) expect(message).toMatch(re);
    for (const re of absent) expect(message).not.toMatch(re);
  });
});

describe("inspectCudaProvider and ortLibraryDir", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the folder of the mapped libonnxruntime.so.1 in a maps file", () => {
    dir = mkdtempSync(join(tmpdir(), "provider-errors-"));
    const maps = join(dir, "maps");
    writeFileSync(
      maps,
      "7f0d00000000-7f0d00001000 r--p 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6\n" +
        "7f0d10000000-7f0d10001000 r-xp 00000000 08:01 456 /srv/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1\n",
    );
    expect(ortLibraryDir(maps)).toBe("/srv/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64");
  });

  it("reports not installed unless both provider files are there, without running ldd", () => {
    dir = mkdtempSync(join(tmpdir(), "provider-errors-"));
    let ran = 0;
    const ldd = () => {
      ran++;
      return LDD_NO_DRIVER;
    };
    writeFileSync(join(dir, CUDA_PROVIDER_FILES[0]), "");
    expect(inspectCudaProvider(dir, ldd).installed).toBe(false);
    expect(inspectCudaProvider(undefined, ldd).installed).toBe(false);
    expect(ran).toBe(0);
  });

  it("reads ldd and looks for cuDNN next to the resolved CUDA runtime", () => {
    dir = mkdtempSync(join(tmpdir(), "provider-errors-"));
    for (const f of CUDA_PROVIDER_FILES) writeFileSync(join(dir, f), "");
    const ldd = (file: string) =>
      file.endsWith(CUDA_PROVIDER_FILES[1]) ? LDD_NO_DRIVER.replaceAll("/opt/gpu/lib", dir) : "";
    expect(inspectCudaProvider(dir, ldd).cudnn).toBe(false);
    writeFileSync(join(dir, "libcudnn.so.9"), "");
    const seen = inspectCudaProvider(dir, ldd);
    expect(seen).toMatchObject({ installed: true, cudnn: true });
    expect(seen.ldd?.get("libcuda.so.1")).toBeNull();
  });
});
