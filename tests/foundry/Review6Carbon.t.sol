// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CarbonLedger} from "../../contracts/certificates/CarbonLedger.sol";
import {CreditWeights} from "../../contracts/weights/CreditWeights.sol";
import {NodeWeights} from "../../contracts/weights/NodeWeights.sol";
import {ICarbonLedger} from "../../interfaces/ICarbonLedger.sol";
import {INodeWeights} from "../../interfaces/INodeWeights.sol";
import {Review6Base} from "./Review6Base.sol";

/// @title Review 6 finding 1: a missing emission report settles below every reporting node
/// @notice The attack (review6 AttackCarbon.t.sol): a heavy emitter sold its whole quota, kept its meter silent and
///         settled at `-(A_q + A_b) - 1 = -1`, ranked far above an honest node that reported a 500 kg overshoot
///         (-500). Now a silent node settles, after every reporting node, at `min(W, 0) - 1` (W: the worst
///         reporting node): non-compliant, the cycle's minimum (eq 21 weight 0), whatever it sold.
contract Review6CarbonTest is Review6Base {
    CarbonLedger internal carbon;
    NodeWeights internal nodes;
    address internal polluter;
    address internal honestNode;
    address internal buyerNode;
    address internal honestMeter;
    address internal buyerMeter_;

    function setUp() public {
        _deployMarket();
        carbon = new CarbonLedger(address(this), address(this), registry, token);
        CreditWeights credit = new CreditWeights(address(this), registry, 951229424500714009, 30, 0);
        nodes = new NodeWeights(
            address(this),
            address(this),
            credit,
            registry,
            INodeWeights.Params(2e17, 2e17, 3e17, 1e17, 1e17, 2e17, 1e17, 5e17, WAD, 951229424500714009, 30)
        );
        nodes.setCarbonSource(address(carbon));
        (polluter,) = _join(0xC0, 0xD0, 1, 5, 1_000_000); // fossil generators
        (honestNode, honestMeter) = _join(0xC1, 0xD1, 1, 5, 1_000_000);
        (buyerNode, buyerMeter_) = _join(0xC2, 0xD2, 1, 5, 1_000_000);
        token.issue(buyerNode, 100e18);
        vm.prank(buyerNode);
        token.approve(address(carbon), type(uint256).max);
    }

    function _cycle(uint256 qP, uint256 qH, uint256 qB) internal returns (uint256 cycle) {
        cycle = carbon.openCycle();
        carbon.setQuota(cycle, polluter, qP);
        carbon.setQuota(cycle, honestNode, qH);
        carbon.setQuota(cycle, buyerNode, qB);
    }

    function _sell(uint256 cycle, uint256 amount, uint256 price) internal {
        vm.prank(polluter);
        uint256 listing = carbon.listAllowances(cycle, amount, price);
        vm.prank(buyerNode);
        carbon.buyAllowances(listing, amount);
    }

    function _report(address node, address meter, uint256 cycle, uint256 kg) internal {
        vm.prank(meter);
        carbon.reportEmissions(node, meter, cycle, kg, "");
    }

    /// @notice The PoC's moves, now: the silent seller waits for the reporters and settles at -501, below the
    ///         honest overshoot (-500), with carbon weight 0.
    function test_sellAllAllowancesAndStaySilentSettlesBelowEveryReporter() public {
        uint256 cycle = _cycle(1_000, 1_000, 1_000);
        _sell(cycle, 1_000, 1e16);
        assertEq(token.balanceOf(polluter), 10e18);
        _report(honestNode, honestMeter, cycle, 1_500);
        _report(buyerNode, buyerMeter_, cycle, 1_500);
        carbon.closeCycle(cycle);

        // the silent node settles only once every reporting node is settled (anyone may settle them)
        _expectRevert(
            address(carbon),
            abi.encodeCall(CarbonLedger.settle, (polluter, cycle)),
            abi.encodeWithSelector(ICarbonLedger.ReportersNotSettled.selector, cycle, polluter, uint256(2))
        );
        int256 h = carbon.settle(honestNode, cycle);
        _expectRevert(
            address(carbon),
            abi.encodeCall(CarbonLedger.settle, (polluter, cycle)),
            abi.encodeWithSelector(ICarbonLedger.ReportersNotSettled.selector, cycle, polluter, uint256(1))
        );
        int256 b = carbon.settle(buyerNode, cycle);
        int256 p = carbon.settle(polluter, cycle);

        assertEqInt(h, -500);
        assertEqInt(b, 500);
        assertEqInt(p, -501); // strictly below the worst reporter, not -1
        (ICarbonLedger.Compliance status,) = carbon.compliance(polluter, cycle);
        assertTrue(status == ICarbonLedger.Compliance.NonCompliant, "silent node non-compliant");
        assertEq(nodes.carbonWeight(polluter), 0);
        assertGt(nodes.carbonWeight(honestNode), 0); // the honest reporter now ranks above the silent polluter
        assertEq(nodes.carbonWeight(buyerNode), 100e18);
    }

    /// @notice `settleBatch` settles its reporting nodes first, so a list with the silent node first settles.
    function test_batchInAnyOrderSettlesTheSilentNodeLast() public {
        uint256 cycle = _cycle(1_000, 1_000, 1_000);
        _report(honestNode, honestMeter, cycle, 200); // 800
        _report(buyerNode, buyerMeter_, cycle, 0); // 1000: a report of 0 is a report
        carbon.closeCycle(cycle);
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (polluter, honestNode, buyerNode);
        carbon.settleBatch(cycle, list);
        (, int256 p) = carbon.carbonSettlement(polluter, cycle);
        assertEqInt(p, -1); // every reporter complied: min(800, 0) - 1
        (int256 lo, int256 hi) = carbon.carbonSettlementRange(cycle);
        assertEqInt(lo, -1);
        assertEqInt(hi, 1_000);
        assertEq(carbon.lastSettledCycle(), cycle);
        assertEq(nodes.carbonWeight(polluter), 0);
    }

    /// @notice Several silent nodes settle at one value S, whatever each sold; when nobody reported S = -1.
    function test_silentNodesShareOneValue() public {
        uint256 cycle = _cycle(1_000, 300, 1_000);
        _sell(cycle, 700, 1);
        _report(buyerNode, buyerMeter_, cycle, 2_900); // 1000 + 700 - 2900 = -1200
        carbon.closeCycle(cycle);
        carbon.settle(buyerNode, cycle);
        assertEqInt(carbon.settle(honestNode, cycle), -1_201); // sold nothing, quota 300
        assertEqInt(carbon.settle(polluter, cycle), -1_201); // sold 700 of 1000
        (ICarbonLedger.Cycle memory c) = carbon.cycleInfo(cycle);
        assertEq(c.reportedNodes, 1);
        assertEq(c.nonCompliantNodes, 3);

        uint256 quiet = _cycle(5, 10, 20);
        carbon.closeCycle(quiet);
        assertEqInt(carbon.settle(buyerNode, quiet), -1);
        assertEqInt(carbon.settle(polluter, quiet), -1);
        assertEqInt(carbon.settle(honestNode, quiet), -1);
    }

    /// @notice Fuzz: whatever the quotas, the silent node's sale and the others' emissions, the silent node
    ///         settles at `min(W, 0) - 1`, strictly below every reporting node, non-compliant and with weight 0.
    function testFuzz_silenceNeverRanksAboveAReporter(
        uint256 qP,
        uint256 qH,
        uint256 qB,
        uint256 sold,
        uint256 eH,
        uint256 eB
    ) public {
        qP = qP % 1e6;
        qH = qH % 1e6;
        qB = qB % 1e6;
        sold = qP == 0 ? 0 : sold % (qP + 1);
        eH = eH % 3e6;
        eB = eB % 3e6;
        uint256 cycle = _cycle(qP, qH, qB);
        if (sold > 0) _sell(cycle, sold, 1);
        _report(honestNode, honestMeter, cycle, eH);
        _report(buyerNode, buyerMeter_, cycle, eB);
        carbon.closeCycle(cycle);
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (polluter, buyerNode, honestNode);
        carbon.settleBatch(cycle, list);

        (, int256 h) = carbon.carbonSettlement(honestNode, cycle);
        (, int256 b) = carbon.carbonSettlement(buyerNode, cycle);
        (, int256 p) = carbon.carbonSettlement(polluter, cycle);
        assertEqInt(h, int256(qH) - int256(eH));
        assertEqInt(b, int256(qB) + int256(sold) - int256(eB));
        int256 w = h < b ? h : b;
        assertEqInt(p, (w < 0 ? w : int256(0)) - 1);
        assertTrue(p < h && p < b && p < 0, "silent below every reporter and negative");
        (ICarbonLedger.Compliance status,) = carbon.compliance(polluter, cycle);
        assertTrue(status == ICarbonLedger.Compliance.NonCompliant, "silent node non-compliant");
        assertEq(nodes.carbonWeight(polluter), 0);
    }
}
