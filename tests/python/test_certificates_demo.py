"""The demo's certificates and carbon section: what it prints is what the chain holds."""

import io

from energy_trading.demo.certificates import certificates_walkthrough


def test_walkthrough_issues_sells_claims_and_settles_carbon(deployment):
    out = io.StringIO()
    figures = certificates_walkthrough(deployment, out)
    text = out.getvalue()
    # 0.8 + 1.1 + 0.7 MWh: the second reading completes the first certificate, the third the second (eq 6).
    assert "800 kWh -> 0 certificate(s) minted, 800 kWh carried" in text
    assert "700 kWh -> 1 certificate(s) minted, 600 kWh carried" in text
    assert figures["hydro_refusal"] == "NotRenewableGenerator"
    assert "refused  moving a claimed certificate: ERC1155InsufficientBalance" in text
    assert figures["held"] == {"demo-solar": 1, "demo-household": 0}
    assert figures["claimed"] == {"demo-solar": 0, "demo-household": 1}
    assert figures["green_weights"] == {"demo-solar": 50.0, "demo-household": 50.0}
    # eq 22: solar 500 - 300 sold = 200; coal 3000 + 300 - 3400 = -100; household 200 - 150 = 50.
    assert figures["settlements"] == {"solar": 200, "coal": -100, "household": 50}
    # eq 21 over [-100, 200]: (200+100)/300, (-100+100)/300, (50+100)/300, times 100.
    assert figures["carbon_weights"] == {"solar": 100.0, "coal": 0.0, "household": 50.0}
    assert "coal      A_ce =  -100 kg (eq 22) NON-COMPLIANT" in text


def test_console_binds_clients_on_the_consoles_deployment(deployment):
    from energy_trading.cli.console import console_namespace

    ns = console_namespace(deployment)
    assert ns["certs"].certificates.address == ns["green_certificates"].address
    assert ns["carbon"].ledger.address == ns["carbon_ledger"].address
    assert ns["carbon"].regulator == deployment.auditor
    # each ready-made account comes with its approved meter, so readings work from the console
    assert set(ns["meters"]) == set(ns["accounts"])
    registry = deployment.registry.functions
    for label, account in ns["accounts"].items():
        assert registry.meterOwner(ns["meters"][label]).call() == account
