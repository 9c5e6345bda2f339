"""The root stack: data, layers and the API; later concerns (workflow, streams, WebSocket) plug in here."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from stacks.api import RunsApi
from stacks.config import RunsStackConfig
from stacks.data import DataStore, construct_id
from stacks.layers import Layers


class RunsStack(Stack):
    """Everything `cdk deploy` creates for one Runs API environment."""

    def __init__(self, scope: Construct, construct_id_: str, *, config: RunsStackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id_, stack_name=config.stack_name, **kwargs)
        self.config = config
        for key, value in {"service": "runs-api", **config.tags}.items():
            Tags.of(self).add(key, value)
        self.data = DataStore(self, "Data", config=config)
        self.layers = Layers(self, "Layers")
        self.api = RunsApi(self, "Api", config=config, data=self.data, layers=self.layers)
        self._outputs()

    def _outputs(self) -> None:
        CfnOutput(self, "ApiBaseUrl", value=self.api.base_url, description="Base URL of the REST API")
        CfnOutput(self, "ApiId", value=self.api.rest_api.rest_api_id)
        CfnOutput(self, "BucketName", value=self.data.bucket.bucket_name)
        CfnOutput(self, "EventBusName", value=self.data.event_bus.event_bus_name)
        for logical_id, table in self.data.tables.items():
            CfnOutput(self, f"{construct_id(logical_id)}TableName", value=table.table_name)
