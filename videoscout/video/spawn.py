"""Worker processes started fresh ("spawn"), without re-running the parent's main script.

Forking a process that has started torch's threads can deadlock the child, so workers are
spawned. A spawned child normally imports the parent's main script first, for functions
pickled from it; videoscout's workers need only videoscout, and a user's script without an
``if __name__ == "__main__":`` guard would then run again in every worker, and fail there.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from multiprocessing.context import SpawnContext, SpawnProcess


class _SpawnedWithoutMain(SpawnProcess):
    def start(self) -> None:
        # The child skips main when its name is "__main__" (multiprocessing.spawn,
        # _fixup_main_from_name): that name is what the child is told while it starts.
        main = sys.modules["__main__"]
        spec = getattr(main, "__spec__", None)
        main.__spec__ = ModuleSpec("__main__", None)
        try:
            super().start()
        finally:
            main.__spec__ = spec


class SpawnWithoutMain(SpawnContext):
    """A multiprocessing context (for ``ProcessPoolExecutor(mp_context=...)``) whose
    processes are spawned and do not import the parent's ``__main__``."""

    Process = _SpawnedWithoutMain
