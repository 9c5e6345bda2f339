"""Lambda runtime settings shared by every function, derived from `runs.constants`."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

from runs.constants import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME

RUNTIME = lambda_.Runtime(LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON)
ARCHITECTURE = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[LAMBDA_ARCHITECTURE]
