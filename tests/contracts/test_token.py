"""EnergyToken: the market's currency (seed 004 capital flow): issue and redeem at rate t, devnet faucet."""

import pytest
from brownie import EnergyToken, accounts, chain
from conftest import reverts_with
from market_fixtures import COOLDOWN, FAUCET, WAD


@pytest.fixture(scope="module")
def token(admin):
    # t = 2.5 tokens per currency unit, so conversions are not the identity
    return EnergyToken.deploy(admin, accounts[1], 5 * WAD // 2, FAUCET, COOLDOWN, {"from": admin})


def test_treasurer_issues_tokens_at_rate_t(token):
    tx = token.issue(accounts[3], 4 * WAD, {"from": accounts[1]})
    assert token.balanceOf(accounts[3]) == 10 * WAD
    assert token.totalSupply() == 10 * WAD
    assert tx.events["TokensIssued"]["currencyAmount"] == 4 * WAD
    assert tx.events["TokensIssued"]["tokens"] == 10 * WAD


def test_stranger_cannot_issue_and_supply_is_unchanged(token):
    with reverts_with("AccessControlUnauthorizedAccount"):
        token.issue(accounts[9], WAD, {"from": accounts[9]})
    assert token.totalSupply() == 0


def test_issue_of_dust_that_buys_no_token_is_refused(token):
    with reverts_with("ZeroAmount"):
        token.issue(accounts[3], 0, {"from": accounts[1]})
    assert token.totalSupply() == 0


def test_redeem_burns_tokens_and_reports_the_cash_owed(token):
    token.issue(accounts[3], 4 * WAD, {"from": accounts[1]})
    tx = token.redeem(5 * WAD, {"from": accounts[3]})
    assert token.balanceOf(accounts[3]) == 5 * WAD
    assert token.totalSupply() == 5 * WAD
    assert tx.events["TokensRedeemed"]["currencyAmount"] == 2 * WAD


def test_redeeming_more_than_held_is_refused_and_changes_nothing(token):
    token.issue(accounts[3], WAD, {"from": accounts[1]})
    with reverts_with("ERC20InsufficientBalance", accounts[3], 5 * WAD // 2, 3 * WAD):
        token.redeem(3 * WAD, {"from": accounts[3]})
    assert token.balanceOf(accounts[3]) == 5 * WAD // 2


def test_conversions_round_down(token):
    assert token.toTokens(1) == 2  # 2.5 base units rounded down
    assert token.toCurrency(3) == 1  # 1.2 rounded down
    assert token.toCurrency(token.toTokens(7 * WAD)) == 7 * WAD


def test_faucet_drips_once_per_cooldown(token):
    tx = token.drip({"from": accounts[4]})
    assert token.balanceOf(accounts[4]) == FAUCET
    available = tx.events["FaucetDripped"]["nextDripAt"]
    with reverts_with("FaucetCoolingDown"):
        token.drip({"from": accounts[4]})
    assert token.balanceOf(accounts[4]) == FAUCET
    while chain[-1].timestamp < available:
        chain.sleep(available - chain[-1].timestamp)
        chain.mine()
    token.drip({"from": accounts[4]})
    assert token.balanceOf(accounts[4]) == 2 * FAUCET


def test_faucet_can_be_disabled(admin):
    closed = EnergyToken.deploy(admin, admin, WAD, 0, 0, {"from": admin})
    with reverts_with("FaucetDisabled"):
        closed.drip({"from": accounts[4]})
    assert closed.totalSupply() == 0


def test_zero_rate_is_refused_at_deployment(admin):
    with reverts_with("ZeroRate"):
        EnergyToken.deploy(admin, admin, 0, 0, 0, {"from": admin})


def test_permit_lets_a_holder_approve_by_signature(token):
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    holder = accounts.add()
    token.issue(holder, WAD, {"from": accounts[1]})
    deadline = chain[-1].timestamp + 3600
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": "Energy Token",
            "version": "1",
            "chainId": chain.id,
            "verifyingContract": token.address,
        },
        "message": {
            "owner": holder.address,
            "spender": accounts[5].address,
            "value": 7,
            "nonce": 0,
            "deadline": deadline,
        },
    }
    sig = Account.from_key(holder.private_key).sign_message(encode_typed_data(full_message=typed))
    token.permit(holder, accounts[5], 7, deadline, sig.v, sig.r, sig.s, {"from": accounts[9]})
    assert token.allowance(holder, accounts[5]) == 7
