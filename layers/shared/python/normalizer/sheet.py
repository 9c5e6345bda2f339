"""One sheet's tables, from its row stream to its output rows.

`SheetRun` pulls the events of the sheet's `SheetSegmenter`: each found table gets a
`TableProcessor`, each chunk goes through it, each ended table becomes a `TableOutcome`. When
writing, `batches` gives the output sheet's rows: the tables one after another in index order, each
after a blank row and its own header row (the first table's header is the sheet's header). A table
found beside one still being written waits in a `RowSpool` (a temporary file past a bound) for its
turn, so tables side by side come out one under the other, whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from normalizer.read import SheetInfo
from normalizer.segment import SegmentEvent, TableChunk, TableFound
from normalizer.table import TableOutcome, TableProcessor
from normalizer.write import RowBatch, RowSpool


class SheetRun:
    """The tables of one sheet as they stream (iterate `batches` once)."""

    def __init__(
        self,
        *,
        info: SheetInfo,
        output_name: str,
        first_table: TableProcessor,
        events: Iterator[SegmentEvent],
        make_table: Callable[[TableFound], TableProcessor],
        on_rows: Callable[[int], None],
        on_table: Callable[[TableProcessor, TableOutcome], None],
    ) -> None:
        self.info = info
        self.output_name = output_name
        self.first_table = first_table
        self._events = events
        self._make_table = make_table
        self._on_rows = on_rows
        self._on_table = on_table
        self.outcomes: list[TableOutcome] = []

    def batches(self, *, writing: bool) -> Iterator[RowBatch]:
        """The output rows, a batch at a time (nothing when not `writing`: tables are only counted)."""
        tables: dict[int, TableProcessor] = {0: self.first_table}
        spools: dict[int, RowSpool] = {}
        ended: set[int] = set()
        current = 0  # the table whose rows go straight out; later ones wait in spools
        output_sheet = self.output_name if writing else None
        try:
            for event in self._events:
                index = event.index
                if isinstance(event, TableFound):
                    if index not in tables:
                        tables[index] = self._make_table(event)
                        if writing and index == current:
                            yield tables[index].header_batch()
                elif isinstance(event, TableChunk):
                    batch = tables[index].process(event, writing)
                    if batch is not None:
                        if index == current:
                            yield batch
                        else:
                            spools.setdefault(index, RowSpool()).add(batch)
                    self._on_rows(len(event.rows))
                else:
                    outcome = tables[index].finish(event, output_sheet)
                    self.outcomes.append(outcome)
                    self._on_table(tables[index], outcome)
                    ended.add(index)
                    while current in ended:
                        current += 1
                        if writing and current in tables:
                            yield tables[current].header_batch()
                            if current in spools:
                                yield spools[current].batch()
                                spools.pop(current).close()
        finally:
            for spool in spools.values():
                spool.close()
