"""`python -m local` (what `make dev` runs): the whole stack until Ctrl-C.

Environment: `PORT` (default 8000), `HOST` (default 127.0.0.1), `LOCAL_WORKSPACE_ID`, `LOCAL_API_KEY`,
`LOCAL_LAMBDA_TIMEOUTS=0` to let handlers run past their timeout (debugging).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop_requested.is_set():  # a second Ctrl-C while stopping: give up waiting
            os._exit(128 + signum)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    from local.stack import start_local_stack

    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        print(f"PORT must be a number, got {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    try:
        stack = start_local_stack(port)
    except OSError as error:
        print(f"cannot serve on port {port}: {error} (set PORT to another port)", file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(f"the local stack did not start: {error}", file=sys.stderr)
        return 1

    print(
        f"Runs API (local) ready in {stack.startup_seconds:.1f} s\n"
        f"  REST       {stack.api_url}\n"
        f"  WebSocket  {stack.websocket_url}\n"
        f"  health     {stack.base_url}/health\n"
        f"  moto       {stack.moto_endpoint_url}\n"
        f"  workspace  {stack.workspace_id}\n"
        f"  API key    {stack.api_key}\n"
        f"Try:\n"
        f"  {stack.example_curl()}\n"
        f"Ctrl-C to stop.",
        flush=True,
    )
    while not stop_requested.wait(0.2):
        pass
    print("stopping...", file=sys.stderr, flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
