"""PenaltyPool: penalties shared by credit weight after the round (seed 001 eq 34), O(1), pulled by nodes."""

from fractions import Fraction

import pytest
from brownie import CreditWeights, EnergyToken, NaivePenaltyPool, PenaltyPool, accounts, chain
from conftest import CONSUMER, GENERATOR, SOLAR, approved, reverts_with
from test_grid_settlement import DECAY, TOKEN, WAD, refused_role


@pytest.fixture(scope="module")
def settler():
    """Stands in for the settlement policy: SETTLEMENT_ROLE on the ledger and the pool."""
    return accounts[6]


@pytest.fixture(scope="module")
def token(admin):
    return EnergyToken.deploy(admin, admin, WAD, 0, 0, {"from": admin})


@pytest.fixture(scope="module")
def credit(admin, registry, settler):
    c = CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})
    c.grantRole(c.SETTLEMENT_ROLE(), settler, {"from": admin})
    return c


@pytest.fixture(scope="module")
def pool(admin, token, credit, settler):
    p = PenaltyPool.deploy(admin, token, credit, admin, {"from": admin})
    p.grantRole(p.SETTLEMENT_ROLE(), settler, {"from": admin})
    return p


@pytest.fixture(scope="module")
def nodes(registry, auditor, credit, admin):
    """Two traders and three bystanders with credit weights 50, 80 | 20, 30, 50."""
    gen = approved(registry, auditor, accounts[3], GENERATOR, SOLAR)
    con = approved(registry, auditor, accounts[4], CONSUMER, 0)
    others = [approved(registry, auditor, accounts[i], CONSUMER, 0) for i in (5, 7, 8)]
    for who, w in zip([gen, con, *others], (50, 80, 20, 30, 50), strict=True):
        credit.enrol(who, w * WAD, {"from": admin})
    return gen, con, others


def settle(
    credit, pool, token, settler, admin, gen, con, order_id, penalty, period=1, total=100_000, taken=50_000
):
    """One settled order where the consumer took `taken` of 100 kWh; `penalty` tokens reach the pool."""
    credit.applySettlement((order_id, period, gen, con, 100_000, 100_000, taken, total), {"from": settler})
    pool.queuePenalty(order_id, credit.currentRound(), gen, con, penalty, {"from": settler})
    token.issue(pool, penalty, {"from": admin})


def pool_state(pool, token, *who):
    return (
        pool.queueLength(),
        pool.nextRelease(),
        pool.queuedTotal(),
        pool.withdrawnTotal(),
        token.balanceOf(pool),
        tuple(pool.withdrawable(w) for w in who),
        tuple(token.balanceOf(w) for w in who),
    )


def test_only_a_settlement_policy_queues_penalties(pool, token, stranger):
    before = pool_state(pool, token, stranger)
    with refused_role(stranger):
        pool.queuePenalty(1, 1, stranger, stranger, 10, {"from": stranger})
    assert pool_state(pool, token, stranger) == before


def test_a_penalty_waits_until_its_round_is_closed(pool, credit, token, settler, admin, nodes, stranger):
    gen, con, _ = nodes
    settle(credit, pool, token, settler, admin, gen, con, 1, 10 * TOKEN, total=200_000)
    before = pool_state(pool, token, gen)
    with reverts_with("NothingReleasable", 0, 1):
        pool.release(10, {"from": stranger})
    assert pool_state(pool, token, gen) == before and not pool.isRoundDistributed(1)
    credit.applySettlement((2, 1, gen, con, 100_000, 100_000, 100_000, 200_000), {"from": settler})
    assert pool.release(10, {"from": stranger}).events["RoundDistributed"]["round"] == 1


def test_release_refuses_a_pool_that_never_received_its_tokens(pool, credit, settler, nodes, stranger, token):
    gen, con, _ = nodes
    credit.applySettlement((1, 1, gen, con, 100_000, 100_000, 50_000, 100_000), {"from": settler})
    pool.queuePenalty(1, 1, gen, con, 7 * TOKEN, {"from": settler})
    before = pool_state(pool, token)
    with reverts_with("PoolUnderfunded", 0, 7 * TOKEN):
        pool.release(1, {"from": stranger})
    assert pool_state(pool, token) == before


def test_every_other_node_gets_exactly_its_weight_share_and_the_parties_nothing(
    pool, credit, token, settler, admin, nodes, stranger
):
    gen, con, others = nodes
    penalty = 12_345_678_901_234_567_891
    settle(credit, pool, token, settler, admin, gen, con, 1, penalty)
    tx = pool.release(1, {"from": stranger})
    weights = {n: credit.creditWeightAt(n, 1) for n in others}
    shared = tx.events["PenaltyReleased"]["sharedWeight"]
    assert shared == sum(weights.values())  # T - W_gen - W_con: the bystanders' weights exactly
    shares = {n: pool.shareOf(n, 1) for n in others}
    for n in others:
        exact = Fraction(penalty * weights[n], shared)
        assert exact - 1 < shares[n] <= exact  # rounded down once
    assert pool.shareOf(gen, 1) == pool.shareOf(con, 1) == 0
    dust = penalty - sum(shares.values())
    assert 0 <= dust < len(others)


def test_a_stranger_cannot_withdraw_someone_elses_share(pool, credit, token, settler, admin, nodes, stranger):
    gen, con, others = nodes
    victim = others[0]
    settle(credit, pool, token, settler, admin, gen, con, 1, 50 * TOKEN)
    pool.release(1, {"from": stranger})
    pool.claim(victim, 10, {"from": stranger})  # anyone may credit a node its own shares
    owed = pool.withdrawable(victim)
    assert owed == pool.shareOf(victim, 1) > 0
    before = pool_state(pool, token, victim, stranger)
    with reverts_with("InsufficientShare", stranger, owed, 0):
        pool.withdraw(owed, stranger, {"from": stranger})
    assert pool_state(pool, token, victim, stranger) == before
    pool.withdraw(owed, victim, {"from": victim})
    assert token.balanceOf(victim) == owed and pool.withdrawable(victim) == 0


def test_a_share_is_claimed_once(pool, credit, token, settler, admin, nodes, stranger):
    gen, con, others = nodes
    settle(credit, pool, token, settler, admin, gen, con, 1, 50 * TOKEN)
    pool.release(1, {"from": stranger})
    first = pool.claim(others[1], 10, {"from": stranger}).events["SharesClaimed"]["amount"]
    second = pool.claim(others[1], 10, {"from": stranger}).events["SharesClaimed"]["amount"]
    assert first > 0 and second == 0
    assert pool.withdrawable(others[1]) == first


def test_withdrawals_of_nothing_or_to_nowhere_are_refused(pool, nodes):
    _, _, others = nodes
    with reverts_with("ZeroAmount"):
        pool.withdraw(0, others[0], {"from": others[0]})
    with reverts_with("ZeroAddress"):
        pool.withdraw(1, "0x0000000000000000000000000000000000000000", {"from": others[0]})


def test_penalties_of_a_round_use_the_weights_after_the_whole_round(
    pool, credit, token, settler, admin, nodes, stranger
):
    gen, con, others = nodes
    # period 1 has two orders; the first (gen-con) defaults, the second (others[0]-others[1]) performs later
    credit.applySettlement((1, 1, gen, con, 100_000, 100_000, 50_000, 200_000), {"from": settler})
    pool.queuePenalty(1, 1, gen, con, 30 * TOKEN, {"from": settler})
    token.issue(pool, 30 * TOKEN, {"from": admin})
    credit.applySettlement(
        (2, 1, others[0], others[1], 100_000, 100_000, 100_000, 200_000), {"from": settler}
    )
    pool.release(1, {"from": stranger})
    after = {n: credit.creditWeight(n) for n in others}
    assert after[others[0]] == 20 * WAD + 80 * WAD // 2  # rewarded in the same round
    total = sum(after.values())
    for n in others:
        assert abs(pool.shareOf(n, 1) - 30 * TOKEN * after[n] // total) <= 1
    with_weights_at_settlement = 30 * TOKEN * 20 * WAD // (20 * WAD + 30 * WAD + 50 * WAD)
    assert pool.shareOf(others[0], 1) > with_weights_at_settlement + TOKEN


def test_a_penalty_with_no_other_weight_is_carried_to_the_next(token, settler, admin, registry, auditor):
    # a ledger of its own (the module's bystanders would otherwise take the penalty); fresh accounts, free gas
    credit = CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})
    credit.grantRole(credit.SETTLEMENT_ROLE(), settler, {"from": admin})
    pool = PenaltyPool.deploy(admin, token, credit, admin, {"from": admin})
    pool.grantRole(pool.SETTLEMENT_ROLE(), settler, {"from": admin})
    a = approved(registry, auditor, accounts.add(), GENERATOR, SOLAR)
    b = approved(registry, auditor, accounts.add(), CONSUMER, 0)
    c = approved(registry, auditor, accounts.add(), CONSUMER, 0)
    credit.enrol(a, 50 * WAD, {"from": admin})
    credit.enrol(b, 50 * WAD, {"from": admin})
    settle(credit, pool, token, settler, admin, a, b, 1, 5 * TOKEN, period=1)
    tx = pool.release(1, {"from": admin})
    assert tx.events["PenaltyCarriedOver"]["amount"] == 5 * TOKEN and pool.carried() == 5 * TOKEN
    credit.enrol(c, 10 * WAD, {"from": admin})
    settle(credit, pool, token, settler, admin, a, b, 2, 1 * TOKEN, period=2)
    pool.release(1, {"from": admin})
    assert (pool.carried(), pool.carriedSince()) == (0, 0)
    assert pool.shareOf(c, 2) == 6 * TOKEN  # the only other node takes both penalties


def test_a_carried_penalty_goes_to_the_treasury_after_the_timeout(
    token, settler, admin, registry, auditor, stranger
):
    """Review 6 finding 2: a penalty carried over (no other weighted node) waited for a next penalty that may
    never come. Now anyone releases it to the treasury CARRY_TIMEOUT after the carry started."""
    credit = CreditWeights.deploy(admin, registry, DECAY, 30, 0, {"from": admin})
    credit.grantRole(credit.SETTLEMENT_ROLE(), settler, {"from": admin})
    treasury = accounts.add()
    pool = PenaltyPool.deploy(admin, token, credit, treasury, {"from": admin})
    pool.grantRole(pool.SETTLEMENT_ROLE(), settler, {"from": admin})
    assert pool.treasury() == treasury
    a = approved(registry, auditor, accounts.add(), GENERATOR, SOLAR)
    b = approved(registry, auditor, accounts.add(), CONSUMER, 0)
    credit.enrol(a, 50 * WAD, {"from": admin})
    credit.enrol(b, 50 * WAD, {"from": admin})
    with reverts_with("NothingCarried"):
        pool.releaseCarried({"from": stranger})
    settle(credit, pool, token, settler, admin, a, b, 1, 5 * TOKEN, period=1)
    since = pool.release(1, {"from": stranger}).timestamp
    assert (pool.carried(), pool.carriedSince()) == (5 * TOKEN, since)
    chain.sleep(3600)
    settle(credit, pool, token, settler, admin, a, b, 2, 1 * TOKEN, period=2)
    pool.release(1, {"from": stranger})  # carried again: the clock keeps the first carry's start
    assert (pool.carried(), pool.carriedSince()) == (6 * TOKEN, since)
    due = since + pool.CARRY_TIMEOUT()
    chain.sleep(due - 600 - chain[-1].timestamp)
    chain.mine()
    before = pool_state(pool, token, treasury, stranger)
    with reverts_with("CarryNotDue"):
        pool.releaseCarried({"from": stranger})
    assert pool_state(pool, token, treasury, stranger) == before
    while chain[-1].timestamp < due:
        chain.sleep(due - chain[-1].timestamp)
        chain.mine()
    tx = pool.releaseCarried({"from": stranger})
    assert tx.return_value == 6 * TOKEN
    released = tx.events["CarriedPenaltyReleased"]
    assert (released["treasury"], released["amount"]) == (treasury, 6 * TOKEN)
    assert (pool.carried(), pool.carriedSince(), pool.withdrawable(treasury)) == (0, 0, 6 * TOKEN)
    with reverts_with("NothingCarried"):
        pool.releaseCarried({"from": stranger})
    admin.transfer(treasury, "1 ether")
    pool.withdraw(6 * TOKEN, treasury, {"from": treasury})
    assert token.balanceOf(treasury) == 6 * TOKEN and token.balanceOf(pool) == 0


def test_a_pool_needs_a_treasury(admin, token, credit):
    with reverts_with("ZeroAddress"):
        PenaltyPool.deploy(admin, token, credit, "0x" + "00" * 20, {"from": admin})


def test_the_naive_baseline_is_admin_only_and_books_the_same_shares(admin, stranger, nodes, credit):
    gen, con, others = nodes
    naive = NaivePenaltyPool.deploy(admin, {"from": admin})
    with refused_role(stranger):
        naive.addNode(stranger, WAD, {"from": stranger})
    for n in (gen, con, *others):
        naive.addNode(n, credit.creditWeight(n), {"from": admin})
    with refused_role(stranger):
        naive.distribute(gen, con, TOKEN, {"from": stranger})
    assert naive.owed(others[0]) == 0
    naive.distribute(gen, con, 30 * TOKEN, {"from": admin})
    weights = [credit.creditWeight(n) for n in others]
    assert [naive.owed(n) for n in others] == [30 * TOKEN * w // sum(weights) for w in weights]
    assert naive.owed(gen) == naive.owed(con) == 0
