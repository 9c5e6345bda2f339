"""Sheet lists and previews of run outputs (xlsx and CSV), read in bounded time and memory.

Pure Python on file-like sources: `runs.services.outputs` hands in S3-backed readers from
`runs.storage`. No workbook library is imported, so the preview functions start fast.
"""
