"""Parameter sweeps of the emulator on Dask distributed.

* `spec`: the sweep file (schema, option names, expansion into validated runs);
* `executor`: `map_tasks`, the one parallel executor (LocalCluster, an existing Dask
  cluster, or serial);
* `store`: finished runs by configuration hash (resume), the tidy table and the summary;
* `plots`: metric vs each axis with 95 % bands across seeds;
* `runner`: `run_sweep`, which ties them together; `command`: the ``sweep`` subcommand.
"""

from consensus_emulator.sweep.executor import map_tasks
from consensus_emulator.sweep.runner import SweepReport, run_sweep
from consensus_emulator.sweep.spec import load_sweep

__all__ = ["SweepReport", "load_sweep", "map_tasks", "run_sweep"]
