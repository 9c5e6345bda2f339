"""CDK infrastructure of the Runs API (DESIGN §2): `create_app()` builds the app with its `RunsStack`."""

from stacks.application import create_app
from stacks.config import RunsStackConfig
from stacks.runs_stack import RunsStack

__all__ = ["RunsStack", "RunsStackConfig", "create_app"]
