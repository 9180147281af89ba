"""Array forms of the node model for all-to-all phases (PBFT at hundreds of nodes).

A phase in which every node sends to every other node costs n^2 messages; at 1024
nodes one SimPy event per message is too slow. These helpers compute the same
quantities the SimPy actors would, for all nodes at once, from the same model:

* a sender serialises its messages one after another on its CPU (`send_cost` each,
  destinations in id order), exactly like `Node.send_batch`;
* the wire adds transfer + base latency + jitter from `Network.fanout_delays`;
* a receiver processes messages in arrival order, one at a time, each costing `cost`
  of its CPU, starting no earlier than when the CPU is free (`fifo_finish`).

Only whole phases are vectorised; no phase is modelled both ways.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fifo_finish", "kth_valid_finish", "serial_departures"]


def serial_departures(start: np.ndarray, n: int, per_message_ms: float) -> np.ndarray:
    """Departure times (n x n) when sender i, from `start[i]`, sends to all j != i in id order.

    Entry [i, j] is ``start[i] + rank * per_message_ms`` where rank is j's 1-based position
    in i's destination list (j if j < i else j - 1, plus one); the diagonal is `inf`.
    """
    j = np.arange(n)
    rank = np.where(j[None, :] < j[:, None], j[None, :] + 1, j[None, :])
    dep = start[:, None] + rank * per_message_ms
    np.fill_diagonal(dep, np.inf)
    return dep


def fifo_finish(arrivals: np.ndarray, cpu_free: np.ndarray, cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Process each column's messages in arrival order on a single CPU.

    Args:
        arrivals: (messages x receivers) arrival times; `inf` = never arrives.
        cpu_free: per receiver, when its CPU can start on these messages.
        cost: CPU time per message (ms).

    Returns:
        (order, finish): `order` sorts each column by arrival; `finish[k, r]` is when
        receiver r finished the k-th message it received (`inf` for lost ones).
        Uses f_k = k*c + max(F0, max_{l<=k}(a_l - (l-1)*c)).
    """
    order = np.argsort(arrivals, axis=0, kind="stable")
    sorted_arr = np.take_along_axis(arrivals, order, axis=0)
    k = np.arange(1, arrivals.shape[0] + 1)[:, None]
    shifted = sorted_arr - (k - 1) * cost
    finish = k * cost + np.maximum(cpu_free[None, :], np.maximum.accumulate(shifted, axis=0))
    finish[~np.isfinite(sorted_arr)] = np.inf
    return order, finish


def kth_valid_finish(
    order: np.ndarray, finish: np.ndarray, valid: np.ndarray, need: np.ndarray
) -> np.ndarray:
    """Per receiver, when it finished processing its `need[r]`-th valid message.

    Args:
        order, finish: from `fifo_finish`.
        valid: (messages x receivers) booleans, in the original (unsorted) order.
        need: per receiver, how many valid messages complete its quorum (<= 0: at once).

    Returns the time per receiver, `inf` if it never gathers `need` valid messages.
    """
    valid_sorted = np.take_along_axis(valid, order, axis=0) & np.isfinite(finish)
    counts = np.cumsum(valid_sorted, axis=0)
    reached = counts >= np.asarray(need)[None, :]
    hit = reached.argmax(axis=0)
    cols = np.arange(finish.shape[1])
    out = np.where(reached[hit, cols], finish[hit, cols], np.inf)
    return np.where(np.asarray(need) <= 0, -np.inf, out)
