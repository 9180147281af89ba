// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderBook} from "../../contracts/market/OrderBook.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {IProviderReputation} from "../../interfaces/IProviderReputation.sol";
import {Review6Base} from "./Review6Base.sol";

/// @title Review 6 finding 4: ProviderReputation folds periods in ascending id order
/// @notice The attack (review6 AttackReputationOrder.t.sol): a later-opened period with an earlier `signEnd` was
///         folded first; the lower period, activated afterwards, was folded after it (EMA applied out of order).
///         `OrderBook.openPeriod` now refuses a period whose `signEnd` or `readingsEnd` is before the previous
///         period's (`ScheduleBeforePrevious`), which is what the ascending fold rests on.
contract Review6ReputationOrderTest is Review6Base {
    function setUp() public {
        _deployMarket();
        (seller, sellerMeter) = _join(SELLER_KEY, SELLER_METER_KEY, 1, 1, 1_000_000);
        (buyer, buyerMeter) = _join(BUYER_KEY, BUYER_METER_KEY, 2, 0, 1_000_000);
        _fund(buyer, 100e18);
    }

    /// @notice The PoC's schedule is refused; the same periods in a valid order fold as (p1, p2).
    function test_periodEndingBeforeThePreviousIsRefused() public {
        uint64 t = uint64(block.timestamp);
        uint256 p1 = book.openPeriod(address(honest), t + 600, t + 1200, t + 5 hours, t + 6 hours);
        _expectRevert(
            address(book),
            abi.encodeCall(OrderBook.openPeriod, (address(honest), t + 600, t + 1200, t + 1800, t + 1 hours)),
            abi.encodeWithSelector(
                IEnergyMarket.ScheduleBeforePrevious.selector, p1, t + 5 hours, t + 6 hours, t + 1800, t + 1 hours
            )
        );
        // a later signEnd but an earlier readingsEnd is refused too
        _expectRevert(
            address(book),
            abi.encodeCall(OrderBook.openPeriod, (address(honest), t + 600, t + 1200, t + 5 hours, t + 5 hours + 1)),
            abi.encodeWithSelector(
                IEnergyMarket.ScheduleBeforePrevious.selector, p1, t + 5 hours, t + 6 hours, t + 5 hours, t + 5 hours + 1
            )
        );
        assertEq(book.periodCount(), 1);
        // equal windows are allowed (several periods ending together)
        uint256 p2 = book.openPeriod(address(honest), t + 600, t + 1200, t + 5 hours, t + 6 hours);
        assertEq(p2, 2);

        // the PoC's trades over the accepted periods: period 1 not delivered, period 2 delivered
        vm.prank(seller);
        uint256 a = book.proposeContract(p1, buyer, 1_000, 1e17);
        vm.prank(buyer);
        book.acceptProposal(a, 0);
        book.approveOrder(a, book.termsHash(a));
        uint256 b = _bookOrder(p2, seller, buyer, 1_000, 1e17);
        vm.warp(block.timestamp + 60);
        vm.prank(sellerMeter);
        book.submitReading(b, IEnergyMarket.Side.Seller, 1_000, sellerMeter, "");
        vm.prank(buyer);
        book.sign(a);
        vm.warp(book.period(p2).readingsEnd);
        book.settle(b);
        book.settle(a);
        reputation.fold(seller);
        IProviderReputation.PeriodRecord memory r1 = reputation.periodRecord(seller, p1);
        assertTrue(r1.folded && reputation.periodRecord(seller, p2).folded, "both folded");
        // (p1, p2): 0.4 * 1 + 0.6 * (0.4 * 0 + 0.6 * 0) = 0.4
        assertEq(reputation.reputationOf(seller), 4e17);
    }

    /// @notice Fuzz: whatever schedules the operator tries, the accepted periods' signEnd and readingsEnd never
    ///         decrease with the id.
    function testFuzz_acceptedSchedulesNeverEndEarlier(uint256 seed) public {
        uint64 lastSign;
        uint64 lastReadings;
        for (uint256 i = 0; i < 6; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            vm.warp(block.timestamp + r % 3 hours);
            uint64 t = uint64(block.timestamp);
            uint64 signEnd = t + 1200 + uint64(1 + (r >> 64) % 10 hours);
            uint64 readingsEnd = signEnd + uint64(1 + (r >> 128) % 10 hours);
            (bool ok,) = address(book).call(
                abi.encodeCall(OrderBook.openPeriod, (address(honest), t + 600, t + 1200, signEnd, readingsEnd))
            );
            assertTrue(ok == (signEnd >= lastSign && readingsEnd >= lastReadings), "accepted iff not earlier");
            if (ok) (lastSign, lastReadings) = (signEnd, readingsEnd);
            IEnergyMarket.Period memory p = book.period(book.periodCount()); // period 0: all zero
            assertEq(p.signEnd, lastSign);
            assertEq(p.readingsEnd, lastReadings);
        }
    }
}
