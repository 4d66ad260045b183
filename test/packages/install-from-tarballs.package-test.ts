/**
 * Installs both packages the way another project would and calls a running server with them
 * (issue 10, "Packages"). `npm run test:packages` (test/packages/vitest.config.ts), not part of the
 * default `vitest run`: it packs (which rebuilds dist/ and client/dist through the packages'
 * lifecycle scripts) and installs into scratch projects, tens of seconds.
 *
 *  (a) florence2-client from its tarball with plain `npm install` and no environment variable: no
 *      onnxruntime-node, no sharp, node_modules under 30 MB, declarations that point at nothing
 *      outside the package, and a 10-line TypeScript program that type-checks with `tsc --strict`
 *      (module nodenext, library declarations checked) and gets a typed caption;
 *  (b) florence2-grpc from its tarball as README "Use the server package from another project"
 *      says: the project's package.json "allowScripts" denies onnxruntime-node's install script
 *      (an npm that reads the field; 11.19 does), or, for older npm, its .npmrc says `onnxruntime-node-install=skip`. Either
 *      way no CUDA library is fetched; `florence2 --version` and `florence2 serve` on the tiny
 *      fixture work, and that server answers the program of (a).
 * npm runs with --prefer-offline (the npm cache of the repository's own install suffices) and an
 * environment without npm's and onnxruntime's variables (see scratchEnv).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  directoryBytes,
  escapeOf,
  filesUnder,
  freePort,
  mib,
  moduleSpecifiers,
  run,
  scratchEnv,
  waitForOk,
} from "./package-files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const TINY_MODEL = join(root, "test/fixtures/tiny");
const IMAGE = join(root, "test/fixtures/images/tiny_12x9.png");
const CLIENT_NODE_MODULES_LIMIT = 30 * 1024 * 1024;
const INSTALL_TIMEOUT_MS = 240_000;

/** The program a user of florence2-client writes; `tsc --strict` must accept it as it is. */
const CAPTION_PROGRAM = `import { readFile } from "node:fs/promises";
import { createFlorenceClient, type TextResult } from "florence2-client";
import type { FlorenceClient } from "florence2-client/browser";

const [baseUrl = "", imagePath = ""] = process.argv.slice(2);
const florence: FlorenceClient = createFlorenceClient({ baseUrl }); // gRPC over HTTP/2
const results: TextResult[] = await florence.captionImage(await readFile(imagePath), { maxNewTokens: 5, numBeams: 1 });
const text: string | undefined = results[0]?.text;
console.log(JSON.stringify({ task: results[0]?.task, text }));
`;

interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: readonly { readonly path: string }[];
}

interface Manifest {
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

let work = "";
const packs: Record<"server" | "client", Packed | undefined> = { server: undefined, client: undefined };
let server: ChildProcess | undefined;
let serverExit: string | undefined;
let serverOutput = "";

async function pack(args: readonly string[], dir: string): Promise<Packed> {
  // npm pack prints the lifecycle scripts' output too; the JSON report is the last thing it prints.
  const stdout = await run("npm", ["pack", "--json", "--pack-destination", dir, ...args], {
    cwd: root,
    timeoutMs: 300_000,
  });
  const report = JSON.parse(stdout.slice(stdout.lastIndexOf("\n[") + 1)) as Packed[];
  const packed = report[0];
  if (packed === undefined) throw new Error(`npm pack ${args.join(" ")} reported no tarball`);
  console.log(
    `packed ${packed.filename}: ${(packed.size / 1024).toFixed(0)} kB, ${packed.entryCount} files, ${mib(packed.unpackedSize)} unpacked`,
  );
  return packed;
}

/** A scratch project with `files` written into it; returns its folder. */
async function scratchProject(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

async function npmInstall(dir: string, tarball: string): Promise<void> {
  const started = Date.now();
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], {
    cwd: dir,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  console.log(`npm install of ${tarball} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const manifest = (name: string, extra: object = {}): string =>
  `${JSON.stringify({ name, private: true, type: "module", ...extra }, null, 2)}\n`;

/** No CUDA execution provider library in the installed onnxruntime-node: its download was skipped. */
async function cudaLibraries(project: string): Promise<string[]> {
  const bin = join(project, "node_modules/onnxruntime-node/bin");
  return (await filesUnder(bin)).filter((f) => /providers_(cuda|tensorrt)/.test(f));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "florence2-packages-"));
  packs.server = await pack([], work);
  packs.client = await pack(["--workspace=client"], work);
}, 600_000);

afterAll(async () => {
  if (server !== undefined && serverExit === undefined) {
    const exited = new Promise((r) => server?.once("exit", r));
    server.kill("SIGTERM");
    const killer = setTimeout(() => server?.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(killer);
  }
  if (work !== "") await rm(work, { recursive: true, force: true });
}, 60_000);

describe("the tarballs", () => {
  it("hold what runs and nothing else", () => {
    const serverFiles = packs.server?.files.map((f) => f.path) ?? [];
    const clientFiles = packs.client?.files.map((f) => f.path) ?? [];
    expect(serverFiles).toEqual(expect.arrayContaining(["dist/cli/main.js", "README.md", "package.json"]));
    expect(serverFiles).toEqual(expect.arrayContaining(["proto/florence/v1/florence_service.proto", "buf.yaml"]));
    expect(serverFiles.filter((p) => p.startsWith("third_party/proto/google/rpc/")).length).toBeGreaterThan(0);
    // The two tools the server's commands run: `npm run gpu:install` and `florence2 export`.
    expect(serverFiles).toEqual(
      expect.arrayContaining([
        "tools/gpu/install",
        "tools/export/florence2_export.py",
        "tools/export/requirements.txt",
      ]),
    );
    expect(clientFiles).toEqual(expect.arrayContaining(["dist/client/index.js", "dist/client/browser.d.ts"]));
    for (const files of [serverFiles, clientFiles]) {
      const stray = files.filter(
        (p) =>
          /\.test\.|\.map$|(^|\/)(test|bench|examples|fixtures)\/|(^|\/)test_[^/]*\.py$/.test(p) ||
          (p.startsWith("tools/") && !/^tools\/(gpu|export)\//.test(p)) ||
          (p.endsWith(".ts") && !p.endsWith(".d.ts")),
      );
      expect(stray).toEqual([]);
    }
  });
});

describe("florence2-client installed from its tarball", () => {
  let app = "";
  const packageDir = (): string => join(app, "node_modules/florence2-client");

  beforeAll(async () => {
    app = await scratchProject("client-app", { "package.json": manifest("scratch-client-app") });
    await npmInstall(app, join(work, packs.client?.filename ?? "missing.tgz"));
  }, INSTALL_TIMEOUT_MS + 10_000);

  it("pulls in no native package and stays under 30 MB", async () => {
    const nodeModules = join(app, "node_modules");
    for (const heavy of ["onnxruntime-node", "onnxruntime-common", "sharp", "@img"])
      expect(existsSync(join(nodeModules, heavy)), heavy).toBe(false);
    const bytes = await directoryBytes(nodeModules);
    console.log(`florence2-client's node_modules: ${mib(bytes)} (${bytes} bytes)`);
    expect(bytes).toBeLessThan(CLIENT_NODE_MODULES_LIMIT);
  });

  it("ships declarations and code that point at nothing outside the package", async () => {
    const pkg = JSON.parse(await readFile(join(packageDir(), "package.json"), "utf8")) as Manifest;
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    const shipped = (await filesUnder(packageDir())).filter((f) => /\.(d\.ts|js)$/.test(f));
    expect(shipped.filter((f) => f.endsWith(".d.ts")).length).toBeGreaterThan(10);
    const escapes: string[] = [];
    for (const file of shipped)
      for (const specifier of moduleSpecifiers(await readFile(file, "utf8"))) {
        const problem = escapeOf(packageDir(), file, specifier, declared);
        if (problem !== undefined) escapes.push(`${file}: ${problem}`);
      }
    expect(escapes).toEqual([]);
  });

  it("depends exactly on connect and protobuf, at the versions the server pins, and sharp as an optional peer", async () => {
    const client = JSON.parse(await readFile(join(packageDir(), "package.json"), "utf8")) as Manifest & {
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    const server = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as Manifest;
    const names = ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node", "@connectrpc/connect-web"];
    expect(Object.keys(client.dependencies ?? {}).sort()).toEqual(names);
    for (const name of names) expect(client.dependencies?.[name], name).toBe(server.dependencies?.[name]);
    expect(client.version).toBe(server.version);
    expect(client.peerDependenciesMeta?.sharp?.optional).toBe(true);
  });

  describe("with florence2-grpc installed from its tarball in another project", () => {
    let serverApp = "";
    let port = 0;

    beforeAll(async () => {
      serverApp = await scratchProject("server-app", {
        "package.json": manifest("scratch-server-app", { allowScripts: { "onnxruntime-node": false } }),
      });
      await npmInstall(serverApp, join(work, packs.server?.filename ?? "missing.tgz"));
    }, INSTALL_TIMEOUT_MS + 10_000);

    it("skipped onnxruntime-node's CUDA download, and `npx florence2 --version` prints the version", async () => {
      expect(await cudaLibraries(serverApp)).toEqual([]);
      const version = await run("npx", ["--no-install", "florence2", "--version"], {
        cwd: serverApp,
        timeoutMs: 60_000,
      });
      expect(version.trim()).toBe(packs.server?.filename.replace(/^florence2-grpc-(.*)\.tgz$/, "$1"));
    }, 70_000);

    it("runs the package's GPU installer as `npx florence2 gpu-install` (offline with an empty cache: it names the missing wheels)", async () => {
      const prefix = join(serverApp, "gpu-empty");
      const failed = run("npx", ["--no-install", "florence2", "gpu-install", "--offline", "--prefix", prefix], {
        cwd: serverApp,
        timeoutMs: 60_000,
      });
      // The installer found onnxruntime-node in the dependent project and stopped before changing it.
      await expect(failed).rejects.toThrow(
        /status 1[\s\S]*lacks onnxruntime-gpu==1\.30\.0[\s\S]*copy a filled wheel cache there/,
      );
    }, 70_000);

    it("exports its client, server and generated code to the dependent project", async () => {
      const probe = `const kinds = {};
for (const [path, name] of [["florence2-grpc/client", "createFlorenceClient"], ["florence2-grpc/server", "startServer"], ["florence2-grpc/gen/florence/v1/florence_service_pb", "FlorenceService"]])
  kinds[path] = typeof (await import(path))[name];
console.log(JSON.stringify(kinds));`;
      const stdout = await run(process.execPath, ["--input-type=module", "-e", probe], {
        cwd: serverApp,
        timeoutMs: 60_000,
      });
      expect(JSON.parse(stdout.trim())).toEqual({
        "florence2-grpc/client": "function",
        "florence2-grpc/server": "function",
        "florence2-grpc/gen/florence/v1/florence_service_pb": "object",
      });
    }, 70_000);

    it("serves the tiny model, and the client program type-checks strictly and gets a typed caption", async () => {
      port = await freePort();
      const bin = join(serverApp, "node_modules/.bin/florence2");
      const args = ["serve", "--model", TINY_MODEL, "--host", "127.0.0.1", "--port", String(port)];
      server = spawn(bin, args, { cwd: serverApp, env: scratchEnv(), stdio: ["ignore", "pipe", "pipe"] });
      server.stdout?.on("data", (chunk: Buffer) => {
        serverOutput = (serverOutput + chunk.toString()).slice(-8000);
      });
      server.stderr?.on("data", (chunk: Buffer) => {
        serverOutput = (serverOutput + chunk.toString()).slice(-8000);
      });
      server.once("exit", (code, signal) => {
        serverExit = `status ${code}, signal ${signal}\n${serverOutput}`;
      });
      await writeFile(join(app, "caption.ts"), CAPTION_PROGRAM);
      const tsc = join(root, "node_modules/typescript/bin/tsc");
      // The repository's compiler and @types/node: the scratch project's node_modules stays the
      // client's alone. skipLibCheck stays off, so the packed declarations are checked too.
      const strict = ["--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022"];
      const types = ["--types", "node", "--typeRoots", join(root, "node_modules/@types")];
      await run(process.execPath, [tsc, ...strict, ...types, "--outDir", "out", "caption.ts"], {
        cwd: app,
        timeoutMs: 120_000,
      });
      await waitForOk(`http://127.0.0.1:${port}/readyz`, 90_000, () => serverExit);
      const stdout = await run(process.execPath, ["out/caption.js", `http://127.0.0.1:${port}`, IMAGE], {
        cwd: app,
        timeoutMs: 60_000,
      });
      const answer = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { task?: unknown; text?: unknown };
      console.log(`caption from the installed server: ${JSON.stringify(answer)}`);
      expect(answer.task).toBe("caption");
      expect(typeof answer.text).toBe("string");
    }, 300_000);
  });
});

describe("florence2-grpc installed by a project that turns the CUDA download off in .npmrc (older npm)", () => {
  it("installs without onnxruntime-node's CUDA download, and its CLI runs", async () => {
    const app = await scratchProject("server-app-npmrc", {
      "package.json": manifest("scratch-server-app-npmrc"),
      ".npmrc": "onnxruntime-node-install=skip\n",
    });
    await npmInstall(app, join(work, packs.server?.filename ?? "missing.tgz"));
    expect(await cudaLibraries(app)).toEqual([]);
    const version = await run(join(app, "node_modules/.bin/florence2"), ["--version"], { cwd: app, timeoutMs: 60_000 });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 300_000);
});
