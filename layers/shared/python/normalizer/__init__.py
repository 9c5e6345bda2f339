"""The normalizer engine: messy spreadsheets in, a normalized workbook and a report out.

Pure Python with no AWS imports; used by the workflow's processing Lambda and by the CLI
(`python -m normalizer process ...`).
"""
