// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GridBalancedSettlement} from "../../contracts/settlement/GridBalancedSettlement.sol";
import {GridAccount} from "../../contracts/settlement/GridAccount.sol";
import {PenaltyPool} from "../../contracts/weights/PenaltyPool.sol";
import {ICreditWeights} from "../../interfaces/ICreditWeights.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IPenaltyPool} from "../../interfaces/IPenaltyPool.sol";
import {Review6Base} from "./Review6Base.sol";

/// @dev The three views PenaltyPool reads from the credit ledger, set by the test: every round closed, the two
///      parties at weight 0 and the other nodes' total at `shared` (per round).
contract StubCreditWeights {
    mapping(uint256 round => uint256) public sharedAt;

    function setShared(uint256 round, uint256 shared) external {
        sharedAt[round] = shared;
    }

    function isRoundClosed(uint256) external pure returns (bool) {
        return true;
    }

    function creditWeightAt(address, uint256) external pure returns (uint256) {
        return 0;
    }

    function totalWeightAt(uint256 round) external view returns (uint256) {
        return sharedAt[round];
    }
}

/// @title Review 6 finding 2: a carried penalty reaches a terminal state in bounded time
/// @notice The attack (review6 AttackPenaltyCarry.t.sol): with no other weighted node, a pooled penalty was carried
///         "to the next released penalty", which may never come: 200 tokens owned by nobody, ten years later.
///         Now anyone releases it to the treasury's withdrawable balance `CARRY_TIMEOUT` after it was carried.
contract Review6PenaltyCarryTest is Review6Base {
    GridBalancedSettlement internal grid;
    PenaltyPool internal pool;
    GridAccount internal account;
    address internal idle1;
    address internal idle2;

    function setUp() public {
        _deployMarket();
        (grid, pool, account) = _seed001Grid(registry, token, address(this)); // initial credit weight 50
        grid.grantRole(grid.MARKET_ROLE(), address(book));
        book.setPolicyAllowed(address(grid), true);
        (seller, sellerMeter) = _join(SELLER_KEY, SELLER_METER_KEY, 1, 1, 1_000_000);
        (buyer, buyerMeter) = _join(BUYER_KEY, BUYER_METER_KEY, 2, 0, 1_000_000);
        (idle1,) = _join(0xC0, 0xD0, 3, 1, 1_000_000); // registered, approved, never trade
        (idle2,) = _join(0xC1, 0xD1, 3, 1, 1_000_000);
        _fund(seller, 1_000e18);
        _fund(buyer, 1_000e18);
    }

    function _gridOrder(uint256 receivedWh) internal {
        uint256 pid = _openPeriod(address(grid), 4 hours);
        vm.prank(seller);
        uint256 id = book.proposeContract(pid, buyer, 10_000, 6e17); // 10 kWh at U = 0.6 token/kWh
        vm.prank(buyer);
        book.acceptProposal(id, 0);
        book.approveOrder(id, book.termsHash(id));
        vm.prank(seller);
        book.sign(id);
        vm.prank(buyer);
        book.sign(id);
        vm.warp(block.timestamp + 1 hours);
        vm.prank(sellerMeter);
        book.submitReading(id, IEnergyMarket.Side.Seller, 10_000, sellerMeter, "");
        if (receivedWh > 0) {
            vm.prank(buyerMeter);
            book.submitReading(id, IEnergyMarket.Side.Buyer, receivedWh, buyerMeter, "");
        }
        vm.warp(book.period(pid).readingsEnd);
        book.settle(id);
        require(book.order(id).status == IEnergyMarket.OrderStatus.Settled, "not settled");
    }

    /// @notice The PoC's moves, then: refused before the timeout, released by a stranger at it, withdrawn by the
    ///         treasury; nothing is left in the pool.
    function test_pooledPenaltyReleasedToTreasuryAfterTimeout() public {
        _gridOrder(10_000); // period 1: both deliver, both weights go to 100
        _gridOrder(0); // period 2: the buyer takes nothing: 200 tokens pooled
        assertEq(token.balanceOf(address(pool)), 200e18);
        pool.release(10); // the other nodes hold 0 weight: carried
        assertEq(pool.carried(), 200e18);
        uint256 since = block.timestamp;
        assertEq(pool.carriedSince(), since);
        uint256 dueAt = since + pool.CARRY_TIMEOUT();

        vm.warp(dueAt - 1);
        _expectRevert(
            address(pool),
            abi.encodeCall(PenaltyPool.releaseCarried, ()),
            abi.encodeWithSelector(IPenaltyPool.CarryNotDue.selector, dueAt - 1, dueAt)
        );
        vm.warp(dueAt);
        vm.prank(idle1); // anyone
        assertEq(pool.releaseCarried(), 200e18);
        assertEq(pool.carried(), 0);
        assertEq(pool.carriedSince(), 0);
        assertEq(pool.withdrawable(TREASURY), 200e18);
        _expectRevert(
            address(pool),
            abi.encodeCall(PenaltyPool.releaseCarried, ()),
            abi.encodeWithSelector(IPenaltyPool.NothingCarried.selector)
        );
        vm.prank(TREASURY);
        pool.withdraw(200e18, TREASURY);
        assertEq(token.balanceOf(TREASURY), 200e18);
        assertEq(token.balanceOf(address(pool)), 0);
        assertEq(pool.queuedTotal(), pool.withdrawnTotal());
    }

    /// @notice Fuzz over a sequence of penalties, each carried (no other weight) or shared, at random times:
    ///         `carriedSince` is the start of the current carry (later carries keep it), a shared penalty takes
    ///         the carried amount, and whatever is carried at the end is releasable exactly at its timeout and then
    ///         withdrawable by the treasury; the pool always holds queued - withdrawn.
    function testFuzz_carriedAmountAlwaysReachesATerminalState(uint256 seed) public {
        StubCreditWeights stub = new StubCreditWeights();
        PenaltyPool p = new PenaltyPool(address(this), token, ICreditWeights(address(stub)), TREASURY);
        p.grantRole(p.SETTLEMENT_ROLE(), address(this));
        uint256 steps = 1 + seed % 8;
        uint256 carried;
        uint256 since;
        for (uint256 i = 1; i <= steps; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            vm.warp(block.timestamp + r % 10 days);
            bool share = (r >> 64) % 3 == 0;
            stub.setShared(i, share ? 1e18 + (r >> 128) % 100e18 : (r >> 128) % 1e18);
            uint256 amount = 1 + (r >> 32) % 1_000e18;
            p.queuePenalty(i, i, seller, buyer, amount);
            token.issue(address(p), amount);
            p.release(1);
            if (share) {
                (carried, since) = (0, 0);
            } else {
                if (carried == 0) since = block.timestamp;
                carried += amount;
            }
            assertEq(p.carried(), carried);
            assertEq(p.carriedSince(), since);
            assertEq(token.balanceOf(address(p)), p.queuedTotal() - p.withdrawnTotal());
        }
        if (carried == 0) {
            _expectRevert(
                address(p),
                abi.encodeCall(PenaltyPool.releaseCarried, ()),
                abi.encodeWithSelector(IPenaltyPool.NothingCarried.selector)
            );
            return;
        }
        uint256 dueAt = since + p.CARRY_TIMEOUT();
        if (block.timestamp < dueAt) {
            _expectRevert(
                address(p),
                abi.encodeCall(PenaltyPool.releaseCarried, ()),
                abi.encodeWithSelector(IPenaltyPool.CarryNotDue.selector, block.timestamp, dueAt)
            );
            vm.warp(dueAt);
        }
        vm.prank(idle2);
        assertEq(p.releaseCarried(), carried);
        assertEq(p.withdrawable(TREASURY), carried);
        uint256 before = token.balanceOf(TREASURY);
        vm.prank(TREASURY);
        p.withdraw(carried, TREASURY);
        assertEq(token.balanceOf(TREASURY) - before, carried);
        assertEq(token.balanceOf(address(p)), p.queuedTotal() - p.withdrawnTotal());
    }
}
