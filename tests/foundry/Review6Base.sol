// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnergyToken} from "../../contracts/EnergyToken.sol";
import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {OrderBook} from "../../contracts/market/OrderBook.sol";
import {ProviderReputation} from "../../contracts/market/ProviderReputation.sol";
import {SignedBook} from "../../contracts/market/SignedBook.sol";
import {HonestSupplierSettlement} from "../../contracts/settlement/HonestSupplierSettlement.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {InvariantSetup} from "./InvariantSetup.sol";

/// @dev Shared deployment of the review-6 regression tests (the attack PoCs turned into refusals): registry,
///      token, reputation, order book with an honest-supplier policy and a SignedBook with its own honest-supplier
///      instance (as energy_trading/chain/deploy.py wires them). This test contract is admin, operator, auditor and
///      treasurer.
abstract contract Review6Base is InvariantSetup {
    uint256 internal constant FEE = 1e16;
    uint256 internal constant SELLER_KEY = 0xA11CE0;
    uint256 internal constant BUYER_KEY = 0xA11CE1;
    uint256 internal constant BUYER2_KEY = 0xA11CE2;
    uint256 internal constant SELLER_METER_KEY = 0xBEEF00;
    uint256 internal constant BUYER_METER_KEY = 0xBEEF01;
    uint256 internal constant BUYER2_METER_KEY = 0xBEEF02;

    EnergyToken internal token;
    ParticipantRegistry internal registry;
    ProviderReputation internal reputation;
    OrderBook internal book;
    HonestSupplierSettlement internal honest;
    SignedBook internal sb;
    HonestSupplierSettlement internal signedHonest;

    address internal seller;
    address internal buyer;
    address internal buyer2;
    address internal sellerMeter;
    address internal buyerMeter;
    address internal buyer2Meter;

    function assertEq(uint256 a, uint256 b) internal pure {
        if (a != b) revert(string.concat("assertEq: ", _u(a), " != ", _u(b)));
    }

    function assertEqInt(int256 a, int256 b) internal pure {
        if (a != b) revert(string.concat("assertEq: ", _i(a), " != ", _i(b)));
    }

    function _i(int256 x) internal pure returns (string memory) {
        return x < 0 ? string.concat("-", _u(uint256(-x))) : _u(uint256(x));
    }

    function assertLt(uint256 a, uint256 b) internal pure {
        if (a >= b) revert(string.concat("assertLt: ", _u(a), " >= ", _u(b)));
    }

    function assertGt(uint256 a, uint256 b) internal pure {
        if (a <= b) revert(string.concat("assertGt: ", _u(a), " <= ", _u(b)));
    }

    function assertTrue(bool c, string memory why) internal pure {
        if (!c) revert(why);
    }

    /// @dev `target.call(data)` (after any prank) must revert with exactly `expected` (selector and arguments).
    function _expectRevert(address target, bytes memory data, bytes memory expected) internal {
        (bool ok, bytes memory why) = target.call(data);
        if (ok) revert("call did not revert");
        if (keccak256(why) != keccak256(expected)) revert(string.concat("wrong revert: ", _hex(why)));
    }

    function _hex(bytes memory b) internal pure returns (string memory) {
        bytes memory out = new bytes(2 + 2 * b.length);
        out[0] = "0";
        out[1] = "x";
        bytes16 digits = "0123456789abcdef";
        for (uint256 i = 0; i < b.length; i++) {
            out[2 + 2 * i] = digits[uint8(b[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(b[i]) & 15];
        }
        return string(out);
    }

    function _u(uint256 x) internal pure returns (string memory) {
        if (x == 0) return "0";
        bytes memory b;
        while (x != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + x % 10)), b);
            x /= 10;
        }
        return string(b);
    }

    function _deployMarket() internal {
        vm.warp(1_800_000_000);
        token = new EnergyToken(address(this), address(this), WAD, 0, 0);
        registry = new ParticipantRegistry(address(this), address(this));
        reputation = new ProviderReputation(address(this), 4e17);
        book = new OrderBook(address(this), address(this), registry, token, reputation, address(0xFEE), FEE, GRACE);
        honest = new HonestSupplierSettlement(address(book), 200);
        sb = new SignedBook(address(this), book, token);
        registry.grantRole(registry.METER_BUDGET_ROLE(), address(sb));
        signedHonest = new HonestSupplierSettlement(address(sb), 200);
        registry.grantRole(registry.MARKET_ROLE(), address(book));
        registry.grantRole(registry.METER_BUDGET_ROLE(), address(book));
        reputation.grantRole(reputation.RECORDER_ROLE(), address(book));
        book.setPolicyAllowed(address(honest), true);
        sb.mapPolicy(address(honest), address(signedHonest));
        reputation.setTallyBook(sb);
    }

    /// @dev Register `key` as role/source with one meter of `ratedW`, approve both now.
    function _join(uint256 key, uint256 meterKey, uint8 role, uint8 source, uint64 ratedW)
        internal
        returns (address who, address meter)
    {
        who = vm.addr(key);
        meter = vm.addr(meterKey);
        IParticipantRegistry.MeterRequest[] memory req = new IParticipantRegistry.MeterRequest[](1);
        req[0] = _signedRequest(registry, meterKey, who, keccak256(abi.encode("device", meterKey)), ratedW);
        vm.prank(who);
        registry.register(role, source, "zone", keccak256(abi.encode("identity", key)), req);
        registry.approve(who);
        registry.approveMeter(meter);
    }

    function _fund(address who, uint256 amount) internal {
        token.issue(who, amount);
        vm.prank(who);
        token.approve(address(book), type(uint256).max);
        vm.prank(who);
        token.approve(address(sb), type(uint256).max);
    }

    /// @dev A period opening now: publish 10 min, match 10 min, sign 10 min, readings `readingsLen`.
    function _openPeriod(address policy, uint64 readingsLen) internal returns (uint256 pid) {
        uint64 t = uint64(block.timestamp);
        pid = book.openPeriod(policy, t + 600, t + 1200, t + 1800, t + 1800 + readingsLen);
    }

    /// @dev A bilateral OrderBook order proposed, accepted, approved and signed by the buyer (honest policy:
    ///      no seller deposit, so the buyer's signature activates it).
    function _bookOrder(uint256 pid, address s, address b, uint256 energyWh, uint256 price)
        internal
        returns (uint256 id)
    {
        vm.prank(s);
        id = book.proposeContract(pid, b, energyWh, price);
        vm.prank(b);
        book.acceptProposal(id, 0);
        book.approveOrder(id, book.termsHash(id));
        vm.prank(b);
        book.sign(id);
        require(book.order(id).status == IEnergyMarket.OrderStatus.Active, "not active");
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev A SignedBook deal both parties signed, opened and approved by the auditor (this contract).
    function _signedOrder(
        uint256 pid,
        uint256 sKey,
        uint256 bKey,
        uint256 energyWh,
        uint256 price,
        uint256 nonce
    ) internal returns (uint256 id, SignedBook.Order memory o) {
        SignedBook.Deal memory d = SignedBook.Deal(pid, vm.addr(sKey), vm.addr(bKey), energyWh, price, 0, nonce);
        bytes32 digest = sb.dealDigest(d);
        uint256 escrow = (energyWh * price + 999) / 1000 + FEE;
        vm.prank(d.buyer);
        sb.deposit(escrow);
        id = sb.open(d, _sig(sKey, digest), _sig(bKey, digest));
        IEnergyMarket.Period memory p = book.period(pid);
        o = SignedBook.Order(
            pid, d.seller, d.buyer, energyWh, price, 0, address(signedHonest), p.signEnd, p.readingsEnd,
            uint128(escrow - FEE), 0
        );
        sb.approve(id, sb.orderHash(o));
    }
}
