"""Data access: the only code that talks to DynamoDB (and, in `runs.storage`, S3)."""
