"""The Python deployment path, the compiler settings and revert decoding."""

import subprocess

import pytest
import yaml
from web3 import Web3

from energy_trading.chain.compiler import compile_contracts
from energy_trading.chain.connection import connect
from energy_trading.chain.errors import ChainRevert, RevertDecoder
from energy_trading.chain.project import REPO_ROOT, compiler_settings, solc_wrapper_path
from energy_trading.cli.main import main as cli_main
from energy_trading.clients.registry import MeterStatus, RegistryClient, Role, Source, Status, zone_id


def test_compiler_settings_come_from_brownie_config():
    config = yaml.safe_load((REPO_ROOT / "brownie-config.yaml").read_text())["compiler"]
    s = compiler_settings()
    assert s.solc_version == str(config["solc"]["version"])
    assert s.optimizer_runs == config["solc"]["optimizer"]["runs"]
    assert s.evm_version == config["evm_version"]


def test_solc_wrapper_reports_the_pinned_npm_solc_version():
    out = subprocess.run(
        [solc_wrapper_path(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"Version: {compiler_settings().solc_version}+commit.")


def test_compiled_bytecode_is_what_is_deployed(deployment, artifacts):
    code = deployment.chain.w3.eth.get_code(deployment.registry.address)
    assert len(code) > 1000
    # the runtime code is a suffix-free part of the creation code
    assert code.hex().removeprefix("0x")[:200] in artifacts["ParticipantRegistry"].bytecode


def test_deploy_grants_the_auditor_role_to_the_auditor_only(deployment):
    reg = deployment.registry
    role = reg.functions.AUDITOR_ROLE().call()
    assert reg.functions.hasRole(role, deployment.auditor).call()
    assert not reg.functions.hasRole(role, deployment.operator).call()
    assert reg.functions.hasRole(b"\0" * 32, deployment.operator).call()


def test_same_seed_gives_same_accounts_and_different_seed_does_not():
    a, b, c = connect(seed="s1"), connect(seed="s1"), connect(seed="s2")
    assert a.new_account("alice") == b.new_account("alice") != c.new_account("alice")


def test_registration_round_trip_through_the_client(deployment):
    reg = RegistryClient(deployment)
    p = reg.register("solar", Role.GENERATOR, Source.SOLAR, zone="north", meters=2)
    assert reg.status(p.address) is Status.PENDING
    assert deployment.registry.functions.metersOf(p.address).call() == list(p.meters)
    reg.approve(p.address)
    assert reg.status(p.address) is Status.APPROVED
    assert deployment.registry.functions.isRenewableGenerator(p.address).call()


def test_the_client_binds_a_meter_with_its_own_signature_and_a_copy_binds_nothing(deployment):
    """Review finding 4 through the client: `add_meter` signs the meter's consent with the meter's local key;
    the same signed request sent by another participant is refused and changes nothing."""
    reg = RegistryClient(deployment)
    owner, other = reg.register("owner", Role.CONSUMER), reg.register("other", Role.CONSUMER)
    reg.approve(owner.address)
    reg.approve(other.address)
    meter = deployment.chain.new_account("owner/meter2", fund_wei=0)
    request = reg.meter_request(owner.address, meter, 5_000)
    with pytest.raises(ChainRevert) as refusal:
        deployment.chain.transact(deployment.registry.functions.addMeter(*request), other.address)
    assert refusal.value.error == "InvalidMeterBindingSignature"
    assert deployment.registry.functions.meterOwner(meter).call() == "0x" + "00" * 20
    reg.add_meter(owner.address, meter, 5_000)
    assert deployment.registry.functions.meterOwner(meter).call() == owner.address
    assert reg.meter_status(meter) is MeterStatus.PENDING


def test_refusals_raise_chain_revert_naming_the_error_and_state_stays(deployment):
    reg = RegistryClient(deployment)
    p = reg.register("home", Role.CONSUMER)
    with pytest.raises(ChainRevert) as refusal:
        deployment.chain.transact(deployment.registry.functions.approve(p.address), p.address)
    assert refusal.value.error == "AccessControlUnauthorizedAccount"
    assert refusal.value.args_by_name["account"].lower() == p.address.lower()
    assert reg.status(p.address) is Status.PENDING
    with pytest.raises(ChainRevert, match=r"AlreadyRegistered\(account=.*status=PENDING\)"):
        deployment.chain.transact(
            deployment.registry.functions.register(
                2, 0, zone_id("z"), b"\1" * 32, [(p.address, b"\2" * 32, 1_000, 0, b"")]
            ),
            p.address,
        )


def test_decoder_handles_error_strings_panics_and_unknown_selectors():
    decoder = RevertDecoder([])
    error_string = (
        Web3.keccak(text="Error(string)")[:4]
        + bytes(31)
        + b"\x20"
        + bytes(31)
        + b"\x02"
        + b"no".ljust(32, b"\0")
    )
    assert decoder.decode(error_string).args_by_name == {"message": "no"}
    panic = Web3.keccak(text="Panic(uint256)")[:4] + (0x11).to_bytes(32, "big")
    assert decoder.decode(panic).error == "Panic"
    assert decoder.decode(b"\xde\xad\xbe\xef").error == "UnknownError"
    assert decoder.decode(b"").error == "Revert"


def test_zone_names_must_fit_a_bytes32():
    assert zone_id("north") == b"north".ljust(32, b"\0")
    with pytest.raises(ValueError, match=r"1\.\.32 bytes"):
        zone_id("x" * 33)
    with pytest.raises(ValueError, match=r"1\.\.32 bytes"):
        zone_id("")


def test_unreachable_rpc_is_a_clear_error():
    with pytest.raises(ConnectionError, match="no Ethereum node answers"):
        connect("http://127.0.0.1:9")


def test_cli_deploy_prints_addresses(capsys):
    assert cli_main(["deploy"]) == 0
    out = capsys.readouterr().out
    assert '"registry": "0x' in out


def test_cli_reports_a_missing_node_with_exit_code_2(capsys):
    assert cli_main(["deploy", "--rpc", "http://127.0.0.1:9"]) == 2
    assert "no Ethereum node answers" in capsys.readouterr().err


def test_compile_lists_every_contract_of_the_repo():
    names = set(compile_contracts())
    sources = {p.stem for p in (REPO_ROOT / "contracts").rglob("*.sol")}
    assert sources - {"Units", "MeterAuthenticated"} <= names


def test_rpc_path_deploys_to_anvil_and_decodes_its_refusals(anvil_url, artifacts):
    from energy_trading import deploy

    chain = connect(anvil_url, seed="rpc-test")
    assert not chain.in_process
    d = deploy(chain, artifacts)
    reg = RegistryClient(d)
    p = reg.register("wind", Role.GENERATOR, Source.WIND)
    reg.approve(p.address)
    assert reg.status(p.address) is Status.APPROVED
    with pytest.raises(ChainRevert) as refusal:
        reg.approve(p.address)
    assert refusal.value.error == "WrongStatus"
    assert reg.status(p.address) is Status.APPROVED


def test_on_a_node_new_accounts_are_funded_by_its_richest_unlocked_account():
    """CI failure of 2026-12-01: on a long-lived anvil the first dev account ran dry (100 ether per new
    account) and a run stopped with "Insufficient funds for gas * price + value" while nine other unlocked
    accounts held 10,000 ether each. The funder is now the richest unlocked account, and a new account gets
    10 ether."""
    from energy_trading.chain.connection import DEFAULT_FUNDING_WEI
    from energy_trading.chain.devnode import anvil_node

    with anvil_node() as url:
        w3 = Web3(Web3.HTTPProvider(url))
        first, second = w3.eth.accounts[:2]
        drained = w3.eth.get_balance(first) - Web3.to_wei(1, "ether")
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": first, "to": second, "value": drained})
        )
        chain = connect(url, seed="test:richest-funder")
        assert chain.funder == second
        address = chain.new_account("someone")
        assert w3.eth.get_balance(address) == DEFAULT_FUNDING_WEI == Web3.to_wei(10, "ether")
