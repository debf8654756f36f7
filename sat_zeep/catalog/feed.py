"""Index each package a sync files as it lands: an event sink to put in front of another.

::

    feeder = CatalogFeeder(lambda: Catalog.for_folder(out), forward=show_progress)
    engine = SyncEngine(client, out, on_event=feeder)   # every event still reaches the bar
    engine.run(job)
    result = feeder.close()                            # waits for the last package

On each ``downloaded`` event the package's path is queued; one thread of the feeder's own opens
the catalog and indexes the packages in the order they landed (``Catalog.index_package``), so
the download workers never wait for the database. The packages are safe on disk whatever
happens here: a catalog that cannot be opened or written stops the feeding, ``close`` says why
(``error``), and ``sat-zeep catalog update`` indexes the rest later.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import SatError
from ..sync.events import EventSink, SyncEvent, ignore
from .catalog import Catalog, IndexResult

__all__ = ["CatalogFeeder"]

_STOP = None


class CatalogFeeder:
    """An ``EventSink`` that indexes every downloaded package and forwards every event."""

    def __init__(self, open_catalog: Callable[[], Catalog], forward: EventSink = ignore) -> None:
        self.forward = forward
        self.result = IndexResult()
        #: Why feeding stopped (the catalog could not be opened or written), else None.
        self.error: str | None = None
        self._open = open_catalog
        self._queue: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._feed, name="catalog-feeder", daemon=True)
        self._thread.start()

    def __call__(self, event: SyncEvent) -> None:
        self.forward(event)
        if event.kind == "downloaded" and self.error is None:
            self._queue.put(Path(event.subject))

    def close(self) -> IndexResult:
        """Index what is queued, stop the thread and return what was indexed."""
        self._queue.put(_STOP)
        self._thread.join()
        return self.result

    def __enter__(self) -> CatalogFeeder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _feed(self) -> None:
        catalog: Catalog | None = None
        try:
            while (path := self._queue.get()) is not _STOP:
                if self.error is not None:
                    continue  # drain: nothing more is indexed
                try:
                    catalog = catalog or self._open()
                    one = catalog.index_package(path)
                except (SatError, OSError) as error:
                    self.error = " ".join(str(error).split()) or type(error).__name__
                    continue
                self.result.indexed += one.indexed
                self.result.unchanged += one.unchanged
                self.result.failed.update(one.failed)
                self.result.documents += one.documents
        finally:
            if catalog is not None:
                catalog.close()
