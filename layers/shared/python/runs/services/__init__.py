"""Services: the logic, working on models; they call `runs.dal` / `runs.storage`, never boto3."""
