"""Pydantic models at every boundary: requests, responses (camelCase) and stored records."""
