"""The REST API: resources, CORS preflight, the Lambda authorizer, gateway responses, one function per route.

Layout, chosen for CloudFormation's 500-resources-per-stack limit:
- root stack: the RestApi, its resource tree and OPTIONS methods, the authorizer, gateway responses, and
  an explicit Deployment + Stage;
- one nested stack per route tag (`RouteGroup`): for each route its function, role, policy, log group,
  invoke permission and method. Methods attach to the root's RestApi, so the Deployment depends on every
  nested stack and the stage always serves all methods.
A route must keep its tag: moving a method between nested stacks makes CloudFormation create it in the
new stack before deleting it from the old one, which API Gateway refuses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, NestedStack, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from runs.constants import (
    API_BASE_PATH,
    AUTH_HEADER,
    BINARY_MEDIA_TYPES,
    CORS_ALLOW_HEADERS,
    CORS_EXPOSE_HEADERS,
    ENV_BUCKET,
    ENV_CORS_ORIGINS,
    ENV_EVENT_BUS,
    SERVICE_NAME,
    STAGE_NAME,
)
from runs.routes import AUTHORIZER_GRANTS, ROUTES, Route
from stacks.config import RunsStackConfig
from stacks.data import DataStore, construct_id
from stacks.functions import FunctionDefaults, FunctionSpec, HandlerFunction
from stacks.gateway_responses import GATEWAY_PROBLEMS, add_gateway_responses, cors_response_headers
from stacks.grants import policy_statements
from stacks.layers import Layers

AUTHORIZER_HANDLER = "authorizer"
AUTHORIZER_MEMORY_MB = 256
AUTHORIZER_TIMEOUT_SECONDS = 5
CORS_MAX_AGE = Duration.hours(1)
# 6 resources per route (function, role, policy, log group, permission, method): 20 routes = 120.
MAX_ROUTES_PER_GROUP = 20
UNTAGGED_GROUP = "misc"


def route_group_name(route: Route) -> str:
    """The nested stack a route lives in: its first tag. Stable by design (see the module docstring)."""
    return route.tags[0] if route.tags else UNTAGGED_GROUP


def group_routes(routes: Iterable[Route]) -> dict[str, list[Route]]:
    """Routes by group, in route-table order. Raises ValueError when a group outgrows its stack budget."""
    groups: dict[str, list[Route]] = {}
    for route in routes:
        groups.setdefault(route_group_name(route), []).append(route)
    for name, members in groups.items():
        if len(members) > MAX_ROUTES_PER_GROUP:
            raise ValueError(f"route group {name!r} has {len(members)} routes; give some another first tag")
    return groups


def path_construct_id(path: str) -> str:
    """`/api/v1/workspaces/{workspaceId}` -> `ApiV1WorkspacesWorkspaceId` (stable logical ids)."""
    return "".join(construct_id(part.strip("{}")) for part in path.split("/") if part) or "Root"


@dataclass(frozen=True)
class RouteGroupProps:
    routes: Sequence[Route]
    resources: Mapping[str, apigw.IResource]
    authorizer: apigw.IAuthorizer
    defaults: FunctionDefaults
    data: DataStore


class RouteGroup(NestedStack):
    """The functions and methods of one route tag."""

    def __init__(self, scope: Construct, construct_id_: str, *, props: RouteGroupProps) -> None:
        super().__init__(scope, construct_id_, description=f"Runs API routes: {construct_id_}")
        self.functions: dict[str, HandlerFunction] = {}
        self.methods: list[apigw.Method] = []
        for route in props.routes:
            spec = FunctionSpec(
                handler_module=route.handler,
                description=f"{route.method} {route.full_path}: {route.summary}",
                memory_mb=route.memory_mb,
                timeout_seconds=route.timeout_seconds,
                statements=policy_statements(
                    route.grants,
                    tables=props.data.tables,
                    definitions=props.data.definitions,
                    bucket=props.data.bucket,
                ),
            )
            handler = HandlerFunction(self, construct_id(route.handler), spec=spec, defaults=props.defaults)
            # The Method lives here while its resource stays in the root stack with the RestApi. Its id
            # is what API Gateway keys it by (verb + path), so renaming a handler never replaces it.
            method = apigw.Method(
                self,
                f"{route.method}{path_construct_id(route.full_path)}",
                resource=props.resources[route.full_path],
                http_method=route.method,
                integration=apigw.LambdaIntegration(handler.function, allow_test_invoke=False),
                options=apigw.MethodOptions(
                    authorizer=props.authorizer, authorization_type=apigw.AuthorizationType.CUSTOM
                ),
            )
            self.functions[route.handler] = handler
            self.methods.append(method)


class RunsApi(Construct):
    """RestApi + authorizer + gateway responses in this stack; route functions in nested stacks."""

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        config: RunsStackConfig,
        data: DataStore,
        layers: Layers,
        routes: Sequence[Route] = ROUTES,
    ) -> None:
        super().__init__(scope, construct_id_)
        defaults = FunctionDefaults(
            layers=layers.all,
            environment=function_environment(config, data),
            log_retention=log_retention(config.log_retention_days),
        )
        self.authorizer_function = HandlerFunction(
            self,
            "AuthorizerFunction",
            spec=FunctionSpec(
                handler_module=AUTHORIZER_HANDLER,
                description="REST API Lambda authorizer (API keys)",
                memory_mb=AUTHORIZER_MEMORY_MB,
                timeout_seconds=AUTHORIZER_TIMEOUT_SECONDS,
                statements=policy_statements(
                    AUTHORIZER_GRANTS, tables=data.tables, definitions=data.definitions, bucket=data.bucket
                ),
            ),
            defaults=defaults,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{config.stack_name}-api",
            description="Runs API",
            deploy=False,  # explicit Deployment below, once every nested stack's methods exist
            cloud_watch_role=False,  # account-wide setting; not this stack's to own
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.REGIONAL]),
            binary_media_types=list(BINARY_MEDIA_TYPES),
            default_cors_preflight_options=_cors_options(config.cors_origins),
        )
        cache_seconds = config.authorizer_cache_seconds
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            handler=self.authorizer_function.function,
            # With caching on, API Gateway refuses (401) a request lacking these without calling the Lambda.
            identity_sources=[apigw.IdentitySource.header(AUTH_HEADER)] if cache_seconds else [],
            results_cache_ttl=Duration.seconds(cache_seconds),
        )
        self.gateway_responses = add_gateway_responses(self.rest_api, config.cors_origins)

        self.resources: dict[str, apigw.IResource] = {}
        for route in routes:
            self.resources.setdefault(route.full_path, self._resource_for_path(route.full_path))

        self.route_groups: dict[str, RouteGroup] = {}
        for group, members in group_routes(routes).items():
            self.route_groups[group] = RouteGroup(
                self,
                f"{construct_id(group)}Routes",
                props=RouteGroupProps(
                    routes=members,
                    resources=self.resources,
                    authorizer=self.authorizer,
                    defaults=defaults,
                    data=data,
                ),
            )

        self.deployment = apigw.Deployment(
            self, "Deployment", api=self.rest_api, description="Runs API (see the stage for the live one)"
        )
        # A new Deployment (new logical id) whenever what the stage serves changes.
        self.deployment.add_to_logical_id({"apiShape": api_fingerprint(config, routes)})
        # A deployment snapshots methods and gateway responses as they are when it is created.
        for nested in self.route_groups.values():
            self.deployment.node.add_dependency(nested)
        for gateway_response in self.gateway_responses:
            self.deployment.node.add_dependency(gateway_response)
        access_log_destination, access_log_format = _access_logging(self, config)
        self.stage = apigw.Stage(
            self,
            "Stage",
            deployment=self.deployment,
            stage_name=STAGE_NAME,
            throttling_rate_limit=config.throttling_rate_limit,
            throttling_burst_limit=config.throttling_burst_limit,
            access_log_destination=access_log_destination,
            access_log_format=access_log_format,
        )
        self.functions: dict[str, HandlerFunction] = {
            name: function for group in self.route_groups.values() for name, function in group.functions.items()
        }

    @property
    def base_url(self) -> str:
        """`https://<api>.execute-api.<region>.<suffix>/<stage>/api/v1` (the public base path)."""
        return self.stage.url_for_path(API_BASE_PATH)

    def _resource_for_path(self, path: str) -> apigw.IResource:
        resource: apigw.IResource = self.rest_api.root
        for part in (segment for segment in path.split("/") if segment):
            resource = resource.get_resource(part) or resource.add_resource(part)
        return resource


def function_environment(config: RunsStackConfig, data: DataStore) -> dict[str, str]:
    """Environment of every function: resource names (read through `runs.settings`) and logging."""
    environment = {
        definition.env_var: data.tables[logical_id].table_name for logical_id, definition in data.definitions.items()
    }
    environment.update(
        {
            ENV_BUCKET: data.bucket.bucket_name,
            ENV_EVENT_BUS: data.event_bus.event_bus_name,
            ENV_CORS_ORIGINS: ",".join(config.cors_origins),
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "LOG_LEVEL": config.log_level,
        }
    )
    return environment


def api_fingerprint(config: RunsStackConfig, routes: Iterable[Route]) -> str:
    """A digest of everything a deployed stage snapshots: methods, CORS, authorizer and gateway responses."""
    shape = {
        "routes": sorted((route.method, route.full_path, route.handler, route_group_name(route)) for route in routes),
        "cors": [list(config.cors_origins), list(CORS_ALLOW_HEADERS), list(CORS_EXPOSE_HEADERS)],
        "authorizer": [AUTH_HEADER, config.authorizer_cache_seconds],
        "binaryMediaTypes": list(BINARY_MEDIA_TYPES),
        "gatewayResponses": [
            [problem.type_name, problem.status, problem.code, cors_response_headers(config.cors_origins)]
            for problem in GATEWAY_PROBLEMS
        ],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _cors_options(origins: Sequence[str]) -> apigw.CorsOptions | None:
    if not origins:
        return None  # no browser access configured: no preflight methods at all
    return apigw.CorsOptions(
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=list(CORS_ALLOW_HEADERS),
        expose_headers=list(CORS_EXPOSE_HEADERS),
        max_age=CORS_MAX_AGE,
    )


def _access_logging(
    scope: Construct, config: RunsStackConfig
) -> tuple[apigw.IAccessLogDestination | None, apigw.AccessLogFormat | None]:
    """Stage access logs; needs the account's API Gateway CloudWatch role (set once per account/region)."""
    if not config.access_logging:
        return None, None
    log_group = logs.LogGroup(
        scope,
        "AccessLogs",
        retention=log_retention(config.log_retention_days),
        removal_policy=RemovalPolicy.DESTROY,
    )
    return (
        apigw.LogGroupLogDestination(log_group),
        apigw.AccessLogFormat.json_with_standard_fields(
            caller=False,
            http_method=True,
            ip=True,
            protocol=True,
            request_time=True,
            resource_path=True,
            response_length=True,
            status=True,
            user=False,
        ),
    )


_RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    """Raises ValueError for a day count CloudWatch (or this mapping) does not offer."""
    if days not in _RETENTION_BY_DAYS:
        raise ValueError(f"logRetentionDays {days}: use one of {sorted(_RETENTION_BY_DAYS)}")
    return _RETENTION_BY_DAYS[days]
