#!/usr/bin/env python3
"""CDK entry point.

- `.venv/bin/python app.py` synthesizes into ./cdk.out (or $CDK_OUTDIR) with cdk.json's context.
- `cdk deploy` (CLI v2, e.g. `npx aws-cdk@2 deploy`) runs `python3 app.py`: activate the venv first
  (`. .venv/bin/activate`), bootstrap the account once (`cdk bootstrap`), and tune with context, e.g.
  `-c stackName=RunsStaging -c corsOrigins=https://app.example.com`. Synth builds the dependency layer
  with pip (PyPI access, no Docker) and caches it under build/layers/.
"""

import os
import sys
from pathlib import Path

# jsii prints a Node 20 end-of-life banner on every start otherwise (Node 20 is what this machine has).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# The stack reads resource shapes from the shared-code layer (`runs.constants`, `runs.routes`).
SHARED_CODE = Path(__file__).resolve().parent / "layers" / "shared" / "python"
if str(SHARED_CODE) not in sys.path:
    sys.path.append(str(SHARED_CODE))

from stacks import create_app  # noqa: E402

if __name__ == "__main__":
    app, _stack = create_app()
    app.synth()
