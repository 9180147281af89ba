"""The demo walkthrough shows the weak centre's powers and their limits."""

import io

from energy_trading.clients.registry import RegistryClient, Status
from energy_trading.demo.consensus import _print_replay
from energy_trading.demo.registration import registration_walkthrough


def test_walkthrough_approves_two_rejects_one_and_refuses_the_rest(deployment):
    out = io.StringIO()
    active = registration_walkthrough(deployment, out)
    text = out.getvalue()
    reg = RegistryClient(deployment)
    assert {reg.status(a) for a in active.values()} == {Status.APPROVED}
    assert "refused  a participant approving an application: AccessControlUnauthorizedAccount" in text
    assert "refused  a suspended participant adding a meter: ParticipantNotActive" in text
    assert "-> EXITED" in text


def test_consensus_section_says_when_the_replay_committed_nothing():
    # no latency to print when nothing was committed
    out = io.StringIO()
    replay = {"transactions_replayed": 156, "tx_committed": 0, "blocks_committed": 0, "tx_latency_ms": None}
    _print_replay(replay | {"phases_ms": {"prepare": None, "consensus": None, "formal": None}}, out)
    assert "0/156 committed in 0 blocks; nothing committed" in out.getvalue()


def test_consensus_section_reports_committed_over_total():
    out = io.StringIO()
    replay = {"transactions_replayed": 156, "tx_committed": 156, "blocks_committed": 9, "tx_latency_ms": 40.0}
    _print_replay(replay | {"phases_ms": {"prepare": 1.0, "consensus": 2.0, "formal": 3.0}}, out)
    assert "156/156 committed in 9 blocks, mean transaction latency 40.0 ms" in out.getvalue()
