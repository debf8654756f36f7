"""The fleet: many taxpayers synced side by side, on SQLite or on PostgreSQL shared by workers.

::

    fleet/  store.py (the tables and their rules)   rows.py   times.py
            windows.py (which periods a taxpayer keeps)   credentials.py (its e.firma)
            steps.py (submit due, check open, download ready)   scheduler.py (one process)
            worker.py (procrastinate tasks)   status.py   import_state.py
"""

from __future__ import annotations

from .store import Fence, FleetStore, NewPeriod

__all__ = ["Fence", "FleetStore", "NewPeriod"]
