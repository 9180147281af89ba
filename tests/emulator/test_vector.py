"""Array forms of sending and processing agree with the one-message-at-a-time model."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from consensus_emulator.vector import fifo_finish, kth_valid_finish, serial_departures


def sequential_finish(arrivals, cpu_free, cost):
    """Reference: process messages one by one in arrival order on a single CPU."""
    t = cpu_free
    out = []
    for a in sorted(arrivals):
        if not np.isfinite(a):
            out.append(np.inf)
            continue
        t = max(t, a) + cost
        out.append(t)
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=12),
    st.floats(0, 50),
    st.floats(0.01, 5),
)
def test_fifo_finish_matches_sequential_processing(arrivals, free, cost):
    arr = np.array(arrivals)[:, None]
    _, finish = fifo_finish(arr, np.array([free]), cost)
    assert np.allclose(finish[:, 0], sequential_finish(arrivals, free, cost))


def test_lost_messages_never_finish():
    arr = np.array([[1.0], [np.inf], [2.0]])
    _, finish = fifo_finish(arr, np.array([0.0]), 1.0)
    assert list(finish[:, 0]) == [2.0, 3.0, np.inf]


def test_kth_valid_finish_skips_invalid_messages():
    arrivals = np.array([[1.0], [2.0], [3.0], [4.0]])
    valid = np.array([[True], [False], [True], [True]])
    order, finish = fifo_finish(arrivals, np.array([0.0]), 0.5)
    # finishes: 1.5, 2.5, 3.5, 4.5; valid ones are the 1st, 3rd and 4th
    assert kth_valid_finish(order, finish, valid, np.array([2]))[0] == 3.5
    assert kth_valid_finish(order, finish, valid, np.array([3]))[0] == 4.5
    assert np.isinf(kth_valid_finish(order, finish, valid, np.array([4]))[0])


def test_serial_departures_send_to_others_in_id_order():
    dep = serial_departures(np.array([0.0, 10.0, 20.0]), 3, 2.0)
    assert dep[0, 1] == 2.0 and dep[0, 2] == 4.0
    assert dep[1, 0] == 12.0 and dep[1, 2] == 14.0
    assert dep[2, 0] == 22.0 and dep[2, 1] == 24.0
    assert np.all(np.isinf(np.diag(dep)))
