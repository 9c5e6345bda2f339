"""End-to-end wiring: `python -m local` (what `make dev` runs) in a subprocess, once per session.

Its output goes to files, not pipes, so a chatty server can never block on a full pipe; the files are
shown when the stack fails to come up.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.secret_audit import AUDIT, audit_process_output, environment_for_audited_subprocess, read_secrets_file

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 30.0
# Variables the stack sets for itself; inherited values (from other tests in this process) must not leak in.
_STACK_OWNED_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "MOTO_PORT",
    "LOCAL_WORKSPACE_ID",
    "LOCAL_API_KEY",
    "PORT",
    "HOST",
)


@dataclass
class LocalStackProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout_path: Path
    stderr_path: Path
    startup_seconds: float

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/v1"

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        """Signal the stack and wait for it; kills it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_local_stack_process(workdir: Path, extra_env: dict[str, str] | None = None) -> LocalStackProcess:
    """Run `python -m local` on a free port and wait for `/health`; fails the test with its stderr if not."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in _STACK_OWNED_VARIABLES}
    env |= {"PORT": str(port), "PYTHONUNBUFFERED": "1"} | (extra_env or {})
    env |= environment_for_audited_subprocess(workdir / f"secrets-{port}.txt")
    stdout_path, stderr_path = workdir / f"local-{port}.out", workdir / f"local-{port}.err"
    started = time.monotonic()
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=REPOSITORY_ROOT, env=env, stdout=stdout, stderr=stderr
        )
    stack = LocalStackProcess(process, f"http://127.0.0.1:{port}", stdout_path, stderr_path, 0.0)
    deadline = started + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(stack.base_url + "/health", timeout=1).status_code == 200:
                stack.startup_seconds = time.monotonic() - started
                return stack
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stack.stop(signal.SIGKILL)
    pytest.fail(
        f"`python -m local` did not come up within {STARTUP_TIMEOUT_SECONDS:.0f} s "
        f"(exit code {process.returncode}).\n"
        f"--- stdout ---\n{stack.stdout()}\n--- stderr ---\n{stack.stderr()}"
    )


@pytest.fixture(scope="session")
def e2e_workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="runs-e2e-") as directory:
        yield Path(directory)


def audit_issued_secrets(stack: LocalStackProcess, workdir: Path) -> None:
    """Feed the secret audit what the stack issued, its tables (while it runs) and its log lines."""
    issued = read_secrets_file(workdir / f"secrets-{stack.base_url.rsplit(':', 1)[1]}.txt")
    assert issued, "the local stack reported no issued secret (it bootstraps one): is the audit's site loaded?"
    banner = re.search(r"^\s+moto\s+(\S+)$", stack.stdout(), re.MULTILINE)
    assert banner, "the local stack did not print its moto endpoint"
    AUDIT.audit_tables(banner.group(1))


@pytest.fixture(scope="session")
def local_stack(e2e_workdir: Path) -> Iterator[LocalStackProcess]:
    stack = start_local_stack_process(e2e_workdir)
    yield stack
    audit_issued_secrets(stack, e2e_workdir)
    exit_code = stack.stop()
    audit_process_output("the local stack", stack.stdout(), stack.stderr())
    # A handler that crashed answered 502 somewhere; its traceback is only in the stack's stderr.
    if "Traceback" in stack.stderr() or exit_code != 0:
        pytest.fail(f"the local stack logged a crash or exited {exit_code}:\n{stack.stderr()[-5000:]}")
