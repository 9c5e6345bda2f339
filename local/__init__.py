"""The laptop stack (`make dev`): moto, the resources from `runs.constants`, and the API over HTTP.

`python -m local` runs it; tests call `local.stack.start_local_stack()`.
"""
