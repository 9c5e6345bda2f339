"""Build the third-party dependency layer for the Lambda runtime, without Docker.

`pip install --platform manylinux*_aarch64 --python-version 3.12 --only-binary=:all:` fetches the
wheels the arm64 Python 3.12 runtime needs, whatever the local interpreter is. The result is cached in
`build/layers/deps-<hash>/` (hash of requirements.txt and the build settings), so repeated synths and
test sessions reuse it. boto3 and botocore are left out: the Lambda runtime ships them.

Usage: `python -m layers.build [--requirements requirements.txt] [--build-root build/layers] [--force]`
prints the layer directory and its unzipped size.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REQUIREMENTS = REPO_ROOT / "requirements.txt"
DEFAULT_BUILD_ROOT = REPO_ROOT / "build" / "layers"

# The python3.12 runtime is Amazon Linux 2023 (glibc 2.34), so manylinux wheels up to 2_34 load there;
# some pins (rapidfuzz 3.14) publish aarch64 wheels only as manylinux_2_28.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
PYTHON_VERSION = "3.12"
IMPLEMENTATION = "cp"
# Bump when the build steps change so stale caches are not reused.
BUILD_FORMAT = "2"
# Provided by the Lambda Python runtime; shipping them again only adds ~30 MB.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Never useful inside a layer: console scripts with a local shebang, and bytecode of the wrong Python.
JUNK_DIRECTORIES = ("bin", "__pycache__")
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


def requirement_name(line: str) -> str | None:
    """The canonical project name a requirements line names, or None for blanks, comments and options."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else None


def layer_requirements(requirements: Path) -> str:
    """The requirements text to install into the layer: the file minus the runtime-provided packages."""
    lines = requirements.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if requirement_name(line) not in RUNTIME_PROVIDED]
    return "\n".join(kept) + "\n"


def cache_key(requirements: Path) -> str:
    """A short hash of everything that decides the layer's content."""
    digest = hashlib.sha256()
    for part in (layer_requirements(requirements), *PLATFORMS, PYTHON_VERSION, IMPLEMENTATION, BUILD_FORMAT):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def directory_size(path: Path) -> int:
    """Total bytes of the regular files under `path` (what the layer takes unzipped)."""
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file() and not entry.is_symlink())


def _remove_runtime_provided(site: Path) -> None:
    for entry in list(site.iterdir()):
        name = entry.name.lower()
        base = re.split(r"-\d", name, maxsplit=1)[0].replace("_", "-")
        if base in RUNTIME_PROVIDED and entry.is_dir():
            shutil.rmtree(entry)


def _remove_junk(site: Path) -> None:
    for junk in sorted(site.rglob("__pycache__"), reverse=True):
        shutil.rmtree(junk, ignore_errors=True)
    for pyc in site.rglob("*.pyc"):
        pyc.unlink()
    bin_dir = site / "bin"
    if bin_dir.is_dir():
        shutil.rmtree(bin_dir)


def _pip_install(requirements_text: str, target: Path, work: Path) -> None:
    req_file = work / "requirements.layer.txt"
    req_file.write_text(requirements_text, encoding="utf-8")
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-input",
        "--requirement", str(req_file),
        "--target", str(target),
        *(option for platform in PLATFORMS for option in ("--platform", platform)),
        "--implementation", IMPLEMENTATION,
        "--python-version", PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
    ]  # fmt: skip
    subprocess.run(command, check=True)


@contextlib.contextmanager
def _exclusive_lock(build_root: Path) -> Iterator[None]:
    """Serialize builds across processes (pytest-xdist workers, parallel synths)."""
    build_root.mkdir(parents=True, exist_ok=True)
    with open(build_root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_dependency_layer(
    requirements: Path = DEFAULT_REQUIREMENTS, build_root: Path = DEFAULT_BUILD_ROOT, *, force: bool = False
) -> Path:
    """Build (or reuse) the dependency layer; returns the directory to zip (it contains `python/`).

    Raises subprocess.CalledProcessError when pip fails (no network, no wheel for the platform).
    """
    layer_dir = build_root / f"deps-{cache_key(requirements)}"
    if layer_dir.is_dir() and not force:
        return layer_dir
    with _exclusive_lock(build_root):
        if layer_dir.is_dir() and not force:
            return layer_dir  # another process built it while we waited
        staging = Path(tempfile.mkdtemp(prefix=f"{layer_dir.name}.", dir=build_root))
        try:
            site = staging / "python"
            _pip_install(layer_requirements(requirements), site, staging)
            _remove_runtime_provided(site)
            _remove_junk(site)
            (staging / "requirements.layer.txt").unlink()
            if layer_dir.exists():
                shutil.rmtree(layer_dir)
            os.replace(staging, layer_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for stale in build_root.glob("deps-*"):
            if stale != layer_dir and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    return layer_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layers.build", description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=Path, default=DEFAULT_REQUIREMENTS)
    parser.add_argument("--build-root", type=Path, default=DEFAULT_BUILD_ROOT)
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache is present")
    args = parser.parse_args(argv)
    layer_dir = build_dependency_layer(args.requirements, args.build_root, force=args.force)
    size = directory_size(layer_dir)
    print(f"{layer_dir}\t{size / 1024 / 1024:.1f} MiB unzipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
