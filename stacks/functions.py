"""One Lambda function with its own log group and least-privilege role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.layers import BYTECODE_EXCLUDES
from stacks.runtime import ARCHITECTURE, RUNTIME

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between functions: the handler module, sizing and permissions."""

    handler_module: str
    description: str
    memory_mb: int
    timeout_seconds: int
    statements: Sequence[iam.PolicyStatement]


@dataclass(frozen=True)
class FunctionDefaults:
    """What every function shares: layers, environment and log retention."""

    layers: Sequence[lambda_.ILayerVersion]
    environment: Mapping[str, str]
    log_retention: logs.RetentionDays


_ASCII_SPELLINGS = str.maketrans(
    {"\u2264": "<=", "\u2265": ">=", "\u2013": "-", "\u2014": "-", "\u2192": "->", "\u2026": "..."}
)


def iam_safe_text(text: str) -> str:
    """IAM descriptions accept Latin-1 only: spell common symbols in ASCII and drop anything else."""
    spelled = text.translate(_ASCII_SPELLINGS)
    return "".join(ch for ch in spelled if ch in "\t\n\r" or " " <= ch <= "~" or "\u00a1" <= ch <= "\u00ff")


def functions_code() -> lambda_.Code:
    """The `functions/` folder as one asset, shared by every handler (one upload, one hash)."""
    return lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=BYTECODE_EXCLUDES)


class HandlerFunction(Construct):
    """`functions/<module>.py:handler` on python3.12/arm64 with an explicit log group and its own role."""

    def __init__(self, scope: Construct, construct_id: str, *, spec: FunctionSpec, defaults: FunctionDefaults) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=defaults.log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        # No AWSLambdaBasicExecutionRole: it allows writing to every log group in the account.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=iam_safe_text(f"{spec.handler_module}: {spec.description}")[:1000],
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        for statement in spec.statements:
            self.role.add_to_policy(statement)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"{spec.handler_module}.handler",
            code=functions_code(),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            layers=list(defaults.layers),
            environment=dict(defaults.environment),
            role=self.role,
            log_group=self.log_group,
            description=spec.description[:256],
        )
