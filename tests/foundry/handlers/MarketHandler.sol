// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {EnergyToken} from "../../../contracts/EnergyToken.sol";
import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {OrderBook} from "../../../contracts/market/OrderBook.sol";
import {PenaltyPool} from "../../../contracts/weights/PenaltyPool.sol";
import {GridAccount} from "../../../contracts/settlement/GridAccount.sol";
import {GreenCertificates} from "../../../contracts/certificates/GreenCertificates.sol";
import {CarbonLedger} from "../../../contracts/certificates/CarbonLedger.sol";
import {IEnergyMarket} from "../../../interfaces/IEnergyMarket.sol";
import {Vm} from "../Base.sol";
import {Schedules} from "./Schedules.sol";

/// @title MarketHandler: the fuzzer's only entry point into the market (forge invariant handler)
/// @notice Drives four prosumers (each with one approved 1 MW meter) through every public path of the order book
///         under both settlement policies, plus the penalty pool, the grid account, green certificates and carbon.
///         Inputs are seeds bounded here, so most calls do something meaningful; calls that the contracts refuse
///         simply revert (fail_on_revert = false) and change nothing.
/// @dev Written against the public behaviour only (IEnergyMarket and the other interfaces), so the order book can be
///      redesigned underneath without touching this file beyond constructor wiring. The handler holds every
///      privileged role (operator, auditor, regulator, treasurer, grid operator): the invariants are about what
///      participants and anyone can do, and tokens enter only through `_mint` (ghost `issued`).
contract MarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 public constant ACTORS = 4;
    uint64 public constant RATED_W = 1_000_000; // 1 MW meters
    uint256 internal constant MAX_ORDERS = 40;
    uint256 internal constant MAX_PERIODS = 12;

    EnergyToken public immutable token;
    ParticipantRegistry public immutable registry;
    OrderBook public immutable book;
    PenaltyPool public immutable pool;
    GridAccount public immutable gridAccount;
    GreenCertificates public immutable certs;
    CarbonLedger public immutable carbon;
    address public immutable honest;
    address public immutable gridPolicy;
    address public immutable feeRecipient;

    address[ACTORS] public actors;
    address[ACTORS] public meters;

    // ghosts: every token that entered or left a holder through a path the handler drove
    uint256 public issued;
    uint256 public poolIn;
    uint256 public poolOut;
    uint256 public gridIn;
    uint256 public gridOut;
    uint256 public fallbacks;

    constructor(
        EnergyToken token_,
        ParticipantRegistry registry_,
        OrderBook book_,
        PenaltyPool pool_,
        GridAccount gridAccount_,
        GreenCertificates certs_,
        CarbonLedger carbon_,
        address honest_,
        address gridPolicy_,
        address[ACTORS] memory actors_,
        address[ACTORS] memory meters_
    ) {
        token = token_;
        registry = registry_;
        book = book_;
        pool = pool_;
        gridAccount = gridAccount_;
        certs = certs_;
        carbon = carbon_;
        honest = honest_;
        gridPolicy = gridPolicy_;
        feeRecipient = book_.feeRecipient();
        actors = actors_;
        meters = meters_;
    }

    // ------------------------------------------------------------------ time

    /// @notice Jump the clock forward: mostly by up to 40 minutes (phases open and close, periods overlap), one
    ///         jump in four by up to two days (past readings windows and grace periods).
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + (seconds_ % 4 == 0 ? _bound(seconds_ >> 2, 1, 2 days) : _bound(seconds_ >> 2, 1, 40 minutes)));
    }

    // ------------------------------------------------------------------ periods (operator)

    /// @notice Open a period of either policy with randomised phase lengths, starting now.
    function openPeriod(uint256 policySeed, uint256 lengthSeed) external {
        if (book.periodCount() >= MAX_PERIODS) return;
        uint64 t = uint64(block.timestamp);
        uint64 publishEnd = t + uint64(_bound(lengthSeed, 10 minutes, 2 hours));
        uint64 matchEnd = publishEnd + 30 minutes;
        uint64 signEnd = matchEnd + uint64(_bound(lengthSeed >> 32, 10 minutes, 2 hours));
        uint64 readingsEnd = signEnd + uint64(_bound(lengthSeed >> 64, 1 hours, 12 hours));
        (signEnd, readingsEnd) = Schedules.notBeforePrevious(book, signEnd, readingsEnd);
        book.openPeriod(policySeed % 2 == 0 ? honest : gridPolicy, publishEnd, matchEnd, signEnd, readingsEnd);
    }

    // ------------------------------------------------------------------ agreeing orders

    function propose(uint256 sellerSeed, uint256 buyerSeed, uint256 periodSeed, uint256 energy, uint256 price)
        external
    {
        uint256 periods = book.periodCount();
        if (periods == 0 || book.orderCount() >= MAX_ORDERS) return;
        address seller = _actor(sellerSeed);
        address buyer = _actor(buyerSeed);
        uint256 periodId = _bound(periodSeed, 1, periods);
        vm.prank(seller);
        book.proposeContract(periodId, buyer, _bound(energy, 1, 20_000), _bound(price, 1e15, 1e18));
    }

    /// @notice A composite path, so that active orders (and hence readings, settlement, penalties, feed-in and
    ///         the fallback) are common at depth 100: propose, accept, audit and sign both deposits in one call.
    function openOrder(uint256 sellerSeed, uint256 buyerSeed, uint256 energy, uint256 price, uint256 bonus) external {
        uint256 periods = book.periodCount();
        if (periods == 0 || book.orderCount() >= MAX_ORDERS) return;
        address seller = _actor(sellerSeed);
        address buyer = _actor(buyerSeed);
        vm.prank(seller);
        uint256 id = book.proposeContract(periods, buyer, _bound(energy, 1, 20_000), _bound(price, 1e15, 1e18));
        vm.prank(buyer);
        book.acceptProposal(id, _bound(bonus, 0, 1e18));
        book.approveOrder(id, book.termsHash(id));
        IEnergyMarket.Order memory o = book.order(id);
        uint256 buyerAmount = uint256(o.buyerDeposit) + book.handlingFee();
        _mint(buyer, buyerAmount);
        _mint(seller, o.sellerDeposit);
        vm.prank(buyer);
        token.approve(address(book), buyerAmount);
        vm.prank(seller);
        token.approve(address(book), o.sellerDeposit);
        vm.prank(buyer);
        book.sign(id);
        if (o.sellerDeposit > 0) {
            vm.prank(seller);
            book.sign(id);
        }
    }

    function acceptProposal(uint256 orderSeed, uint256 bonus) external {
        (uint256 id, IEnergyMarket.Order memory o) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Proposed));
        vm.prank(o.buyer);
        book.acceptProposal(id, _bound(bonus, 0, 1e18));
    }

    function withdrawProposal(uint256 orderSeed) external {
        (uint256 id, IEnergyMarket.Order memory o) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Proposed));
        vm.prank(o.seller);
        book.withdrawProposal(id);
    }

    function proposeAmendment(uint256 orderSeed, bool byBuyer, uint256 energy, uint256 price) external {
        (uint256 id, IEnergyMarket.Order memory o) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Agreed) | _bit(IEnergyMarket.OrderStatus.Approved));
        vm.prank(byBuyer ? o.buyer : o.seller);
        book.proposeAmendment(id, _bound(energy, 1, 20_000), _bound(price, 1e15, 1e18));
    }

    /// @notice Accept the pending amendment naming its terms, or (`stale`) terms that differ from them.
    function acceptAmendment(uint256 orderSeed, bool stale) external {
        (uint256 id, IEnergyMarket.Order memory o) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Agreed) | _bit(IEnergyMarket.OrderStatus.Approved));
        IEnergyMarket.Amendment memory a = book.pendingAmendment(id);
        uint256 price = stale ? uint256(a.pricePerKwh) + 1 : a.pricePerKwh;
        vm.prank(a.proposer == o.seller ? o.buyer : o.seller);
        book.acceptAmendment(id, a.energyWh, price);
    }

    // ------------------------------------------------------------------ audit (auditor)

    function approveOrder(uint256 orderSeed) external {
        (uint256 id,) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Agreed));
        book.approveOrder(id, book.termsHash(id));
    }

    /// @notice The batch audit: three picks (any status, so refused items are common), named terms; a stale
    ///         hash (`stale`) for the middle one.
    function approveOrders(uint256 seedA, uint256 seedB, uint256 seedC, bool stale) external {
        uint256 all = type(uint256).max;
        uint256[] memory ids = new uint256[](3);
        bytes32[] memory hashes = new bytes32[](3);
        (ids[0],) = _pick(seedA, all);
        (ids[1],) = _pick(seedB, all);
        (ids[2],) = _pick(seedC, all);
        for (uint256 i = 0; i < 3; ++i) {
            hashes[i] = book.termsHash(ids[i]);
        }
        if (stale) hashes[1] = keccak256(abi.encode(hashes[1]));
        book.approveOrders(ids, hashes);
    }

    function rejectOrder(uint256 orderSeed) external {
        (uint256 id,) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Agreed));
        book.rejectOrder(id, "fuzz");
    }

    // ------------------------------------------------------------------ escrow, delivery, settlement

    /// @notice A party signs its deposit into escrow (tokens issued to it first).
    function sign(uint256 orderSeed, bool bySeller) external {
        (uint256 id, IEnergyMarket.Order memory o) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Approved));
        address party = bySeller ? o.seller : o.buyer;
        uint256 amount = bySeller ? o.sellerDeposit : uint256(o.buyerDeposit) + book.handlingFee();
        _mint(party, amount);
        // single-call pranks only: a startPrank left open by a reverted call would outlive the revert
        vm.prank(party);
        token.approve(address(book), amount);
        vm.prank(party);
        book.sign(id);
    }

    /// @notice A meter reports its cumulative reading; `faulty` readings are absurd (above rated power x time).
    function submitReading(uint256 orderSeed, bool sellerSide, uint256 energySeed, bool faulty) external {
        (uint256 id, IEnergyMarket.Order memory o) = _pick(orderSeed, _bit(IEnergyMarket.OrderStatus.Active));
        address party = sellerSide ? o.seller : o.buyer;
        uint256 previous = sellerSide ? o.deliveredWh : o.receivedWh;
        uint256 energy = faulty ? previous + 1e12 : previous + _bound(energySeed, 0, 3 * uint256(o.energyWh));
        address meter = meters[_index(party)];
        IEnergyMarket.Side side = sellerSide ? IEnergyMarket.Side.Seller : IEnergyMarket.Side.Buyer;
        vm.prank(meter);
        book.submitReading(id, side, energy, meter, "");
    }

    /// @notice Anyone settles; the penalty pool's intake is measured as a balance change.
    function settle(uint256 orderSeed) external {
        (uint256 id,) = _pickDue(orderSeed, _bit(IEnergyMarket.OrderStatus.Active));
        uint256 before = token.balanceOf(address(pool));
        book.settle(id);
        poolIn += token.balanceOf(address(pool)) - before;
        if (book.order(id).status == IEnergyMarket.OrderStatus.Cancelled) fallbacks++;
    }

    /// @notice Anyone settles a batch of three (due or not: refused items are skipped).
    function settleMany(uint256 seedA, uint256 seedB, uint256 seedC) external {
        uint256[] memory ids = new uint256[](3);
        (ids[0],) = _pickDue(seedA, _bit(IEnergyMarket.OrderStatus.Active));
        (ids[1],) = _pick(seedB, type(uint256).max);
        (ids[2],) = _pickDue(seedC, _bit(IEnergyMarket.OrderStatus.Active));
        bool[3] memory wasActive;
        for (uint256 i = 0; i < 3; ++i) {
            wasActive[i] = ids[i] != 0 && book.order(ids[i]).status == IEnergyMarket.OrderStatus.Active;
        }
        uint256 before = token.balanceOf(address(pool));
        book.settleMany(ids);
        poolIn += token.balanceOf(address(pool)) - before; // the same ghosts as `settle`
        for (uint256 i = 0; i < 3; ++i) {
            // an id picked twice counts once: only the first sighting was Active
            if (wasActive[i] && book.order(ids[i]).status == IEnergyMarket.OrderStatus.Cancelled) {
                fallbacks++;
                for (uint256 j = i + 1; j < 3; ++j) {
                    if (ids[j] == ids[i]) wasActive[j] = false;
                }
            }
        }
    }

    /// @notice A participant moves tokens (issued to it first) into its internal balance on the order book.
    function deposit(uint256 actorSeed, uint256 amount) external {
        address who = _actor(actorSeed);
        amount = _bound(amount, 1, 50e18);
        _mint(who, amount);
        vm.prank(who);
        token.approve(address(book), amount);
        vm.prank(who);
        book.deposit(amount);
    }

    function expire(uint256 orderSeed) external {
        (uint256 id,) = _pickDue(
            orderSeed,
            _bit(IEnergyMarket.OrderStatus.Proposed) | _bit(IEnergyMarket.OrderStatus.Agreed)
                | _bit(IEnergyMarket.OrderStatus.Approved)
        );
        book.expire(id);
    }

    function withdraw(uint256 actorSeed) external {
        address who = _actor(actorSeed);
        vm.prank(who);
        book.withdraw();
    }

    function withdrawFees() external {
        vm.prank(feeRecipient);
        book.withdraw();
    }

    // ------------------------------------------------------------------ grid account

    function collectGridRevenue() external {
        uint256 before = token.balanceOf(address(gridAccount));
        gridAccount.collect(address(book));
        gridIn += token.balanceOf(address(gridAccount)) - before;
    }

    function fundGrid(uint256 amount) external {
        amount = _bound(amount, 1, 1e18);
        _mint(address(gridAccount), amount);
        gridIn += amount;
    }

    function withdrawFeedIn(uint256 actorSeed) external {
        address who = _actor(actorSeed);
        uint256 before = token.balanceOf(address(gridAccount));
        vm.prank(who);
        gridAccount.withdrawFeedIn(who);
        gridOut += before - token.balanceOf(address(gridAccount));
    }

    function writeOff(uint256 actorSeed, uint256 amount) external {
        address who = _actor(actorSeed);
        uint256 owed = gridAccount.feedInOwed(who) + gridAccount.feedInDeferred(who);
        gridAccount.writeOff(who, _bound(amount, 1, owed == 0 ? 1 : owed), "fuzz");
    }

    function withdrawSurplus(uint256 amount) external {
        uint256 balance = token.balanceOf(address(gridAccount));
        uint256 claims = gridAccount.totalOwed() + gridAccount.totalDeferred();
        uint256 surplus = balance > claims ? balance - claims : 0;
        amount = _bound(amount, 0, surplus);
        gridAccount.withdrawSurplus(amount, address(this));
        gridOut += amount;
    }

    // ------------------------------------------------------------------ penalty pool

    /// @dev Anyone closes a round a straggler opened ahead of its period (review 2, finding 3).
    function closeStragglerRound() external {
        pool.credit().closeStragglerRound();
    }

    function releasePenalties(uint256 maxItems) external {
        pool.release(_bound(maxItems, 1, 10));
    }

    /// @dev Anyone, at its timeout: a carried penalty goes to the treasury, which pulls it (review 6 finding 2).
    function releaseCarriedPenalty() external {
        uint256 amount = pool.releaseCarried();
        address treasury = pool.treasury();
        vm.prank(treasury);
        pool.withdraw(amount, treasury);
        poolOut += amount;
    }

    function claimPenaltyShares(uint256 actorSeed, uint256 maxRounds) external {
        pool.claim(_actor(actorSeed), _bound(maxRounds, 1, 5));
    }

    function withdrawPenaltyShares(uint256 actorSeed) external {
        address who = _actor(actorSeed);
        uint256 amount = pool.withdrawable(who);
        vm.prank(who);
        pool.withdraw(amount, who);
        poolOut += amount;
    }

    // ------------------------------------------------------------------ certificates

    /// @notice A meter reports generation for the next interval (never overlapping its last one, in the past);
    ///         energy up to 1.5 x rated power x interval, so some readings are implausible and refused.
    function reportGeneration(uint256 actorSeed, uint256 lengthSeed, uint256 energySeed) external {
        uint256 i = actorSeed % ACTORS;
        uint64 last = certs.lastPeriodEnd(meters[i]);
        uint64 end = uint64(block.timestamp);
        uint64 start = last == 0 ? end - uint64(_bound(lengthSeed, 1, 1 days)) : last;
        uint64 approvedAt = registry.meterInfo(meters[i]).approvedAt;
        if (start < approvedAt) start = approvedAt; // a device certifies nothing from before its approval
        if (start >= end) return;
        uint256 energy = _bound(energySeed, 0, (uint256(end - start) * RATED_W * 3) / 7200);
        vm.prank(meters[i]);
        certs.reportGeneration(actors[i], meters[i], start, end, energy, "");
    }

    function transferCertificate(uint256 fromSeed, uint256 toSeed, uint256 idSeed, uint256 value) external {
        uint256 last = certs.lastCertificateId();
        if (last == 0) return;
        address from = _actor(fromSeed);
        uint256 id = _bound(idSeed, 1, last);
        value = _bound(value, 0, certs.balanceOf(from, id));
        vm.prank(from);
        IERC1155(address(certs)).safeTransferFrom(from, _actor(toSeed), id, value, "");
    }

    function claimCertificate(uint256 actorSeed, uint256 idSeed, uint256 value) external {
        uint256 last = certs.lastCertificateId();
        if (last == 0) return;
        address who = _actor(actorSeed);
        uint256 id = _bound(idSeed, 1, last);
        value = _bound(value, 1, certs.balanceOf(who, id) == 0 ? 1 : certs.balanceOf(who, id));
        vm.prank(who);
        certs.claim(id, value, "fuzz");
    }

    // ------------------------------------------------------------------ carbon (regulator + meters)

    function openCycle() external {
        carbon.openCycle();
    }

    function setQuota(uint256 actorSeed, uint256 quota) external {
        carbon.setQuota(carbon.currentCycle(), _actor(actorSeed), _bound(quota, 0, 1e6));
    }

    function reportEmissions(uint256 actorSeed, uint256 amount) external {
        uint256 i = actorSeed % ACTORS;
        uint256 cycle = carbon.currentCycle(); // read before the prank: an external call would consume it
        vm.prank(meters[i]);
        carbon.reportEmissions(actors[i], meters[i], cycle, _bound(amount, 0, 1e6), "");
    }

    function closeCycle() external {
        carbon.closeCycle(carbon.currentCycle());
    }

    function settleCarbon(uint256 actorSeed) external {
        carbon.settle(_actor(actorSeed), carbon.currentCycle());
    }

    // ------------------------------------------------------------------ helpers

    function _mint(address to, uint256 amount) private {
        if (amount == 0) return;
        token.issue(to, amount); // tokensPerCurrency = 1e18 in this deployment: mints exactly `amount`
        issued += amount;
    }

    /// @dev An order whose status is in `statuses` (a bit mask), searched from a seeded start so the fuzzer's calls
    ///      mostly do something; id 0 (every call then reverts) when none is.
    function _pick(uint256 seed, uint256 statuses) private view returns (uint256 id, IEnergyMarket.Order memory o) {
        uint256 count = book.orderCount();
        for (uint256 k = 0; k < count; k++) {
            id = (seed + k) % count + 1;
            o = book.order(id);
            if (statuses & _bit(o.status) != 0) return (id, o);
        }
        return (0, o);
    }

    /// @dev Like `_pick`, preferring an order whose window for the action is over (Active: readingsEnd;
    ///      otherwise signEnd), so settle and expire mostly succeed; falls back to any order in `statuses`.
    function _pickDue(uint256 seed, uint256 statuses) private view returns (uint256, IEnergyMarket.Order memory) {
        uint256 count = book.orderCount();
        for (uint256 k = 0; k < count; k++) {
            uint256 id = (seed + k) % count + 1;
            IEnergyMarket.Order memory o = book.order(id);
            if (statuses & _bit(o.status) == 0) continue;
            IEnergyMarket.Period memory p = book.period(o.periodId);
            uint256 due = o.status == IEnergyMarket.OrderStatus.Active ? p.readingsEnd : p.signEnd;
            if (block.timestamp >= due) return (id, o);
        }
        return _pick(seed, statuses);
    }

    function _bit(IEnergyMarket.OrderStatus status) private pure returns (uint256) {
        return 1 << uint256(status);
    }

    function _actor(uint256 seed) private view returns (address) {
        return actors[seed % ACTORS];
    }

    function _index(address who) private view returns (uint256) {
        for (uint256 i = 0; i < ACTORS; i++) {
            if (actors[i] == who) return i;
        }
        revert("not an actor");
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + (x % (hi - lo + 1));
    }
}
