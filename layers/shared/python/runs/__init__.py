"""The Runs API service library: models, services, data access, HTTP conventions, auth, settings."""
