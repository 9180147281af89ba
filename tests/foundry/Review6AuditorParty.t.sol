// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderBook} from "../../contracts/market/OrderBook.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {Review6Base} from "./Review6Base.sol";

/// @title Review 6 finding 3 (order book part): an auditor never approves an order it is a party of
/// @notice The attack (review6 AttackAuditorSelf.t.sol) had the auditor sell to a buyer and approve its own order.
///         `approveOrder` (and the batch) now refuse with `AuditorIsParty`; another auditor approves it.
contract Review6AuditorPartyTest is Review6Base {
    address internal auditor2 = address(0xA0D2);

    function setUp() public {
        _deployMarket();
        (seller, sellerMeter) = _join(SELLER_KEY, SELLER_METER_KEY, 1, 1, 1_000_000);
        (buyer, buyerMeter) = _join(BUYER_KEY, BUYER_METER_KEY, 2, 0, 1_000_000);
        _fund(buyer, 100e18);
    }

    function _agreed(uint256 pid) internal returns (uint256 id) {
        vm.prank(seller);
        id = book.proposeContract(pid, buyer, 1_000, 1e17);
        vm.prank(buyer);
        book.acceptProposal(id, 0);
    }

    function test_auditorThatIsAPartyCannotApprove() public {
        uint256 pid = _openPeriod(address(honest), 4 hours);
        uint256 id = _agreed(pid);
        bytes32 terms = book.termsHash(id);
        // the seller and the buyer each hold the auditor's role
        registry.grantRole(registry.AUDITOR_ROLE(), seller);
        registry.grantRole(registry.AUDITOR_ROLE(), buyer);
        address[2] memory parties = [seller, buyer];
        for (uint256 i = 0; i < 2; i++) {
            vm.prank(parties[i]);
            _expectRevert(
                address(book),
                abi.encodeCall(OrderBook.approveOrder, (id, terms)),
                abi.encodeWithSelector(IEnergyMarket.AuditorIsParty.selector, id, parties[i])
            );
        }
        // the batch skips it alone
        uint256[] memory ids = new uint256[](1);
        bytes32[] memory hashes = new bytes32[](1);
        (ids[0], hashes[0]) = (id, terms);
        vm.prank(seller);
        assertEq(book.approveOrders(ids, hashes), 0);
        assertTrue(book.order(id).status == IEnergyMarket.OrderStatus.Agreed, "still agreed");

        // another auditor approves it
        registry.grantRole(registry.AUDITOR_ROLE(), auditor2);
        vm.prank(auditor2);
        book.approveOrder(id, terms);
        assertTrue(book.order(id).status == IEnergyMarket.OrderStatus.Approved, "approved by another auditor");
    }
}
