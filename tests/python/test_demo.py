"""The demo walkthrough shows the weak centre's powers and their limits."""

import io

from energy_trading.clients.registry import RegistryClient, Status
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
