// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnergyToken} from "../../../contracts/EnergyToken.sol";
import {OrderBook} from "../../../contracts/market/OrderBook.sol";
import {SignedBook} from "../../../contracts/market/SignedBook.sol";
import {ISettlementPolicy} from "../../../interfaces/ISettlementPolicy.sol";
import {Vm} from "../Base.sol";
import {Schedules} from "./Schedules.sol";

/// @title SignedHandler: the fuzzer's entry point into `SignedBook` (forge invariant handler, issue 13)
/// @notice Drives four prosumers (keys, one approved 1 MW meter each) through every public path of the signed
///         book: deposits, signed openings (single and batched), matched openings (as the book's matcher, batches
///         with a bad middle item; a deal above its buyer's `matchedPriceCap`, which actors lower at times, must
///         open nothing), audit (single and batched, with stale hashes),
///         rejections, revocations, final readings sent by the meters (single and batched, some implausible),
///         settlement, expiry and withdrawals. Periods are honest-supplier or grid-balanced (`grid`, mapped with
///         `mapGridPolicy`: its orders count in the period's total when approved and settle from `signEnd`). Calls the contracts refuse revert and change nothing
///         (fail_on_revert = false). The handler is the operator (opens the order book's periods), the auditor
///         and the treasurer; tokens enter only through `_mint`. Ghost reputation tally: every `Settled` event
///         of the book adds a trade and its v = min(1, delivered / agreed) to (seller, period), independently of
///         the book's own tally (`tallyOf`), which the invariant compares with it.
contract SignedHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 public constant ACTORS = 4;
    uint256 internal constant KEY_BASE = 0xA11CE0;
    uint256 internal constant METER_KEY_BASE = 0xBEEF00;
    uint256 internal constant MAX_ORDERS = 40;
    uint256 internal constant MAX_PERIODS = 12;
    address internal constant FEE_RECIPIENT = address(0xFEE);

    EnergyToken public immutable token;
    OrderBook public immutable book;
    SignedBook public immutable sb;
    address public immutable honest;
    address public immutable grid;
    address[ACTORS] public actors;
    address[ACTORS] public meters;

    /// @notice Every order opened (id and the order every later call passes); ended ones stay listed.
    uint256[] public ids;
    mapping(uint256 id => SignedBook.Order) internal _order;
    uint256 public issued;
    /// @notice Matched orders opened (coverage of the matched path).
    uint256 public matchedOpened;
    uint256 internal _nonce;
    /// @notice Ghost tally from the `Settled` events: trades and sum of v (WAD) per (seller, period).
    mapping(address seller => mapping(uint256 periodId => uint256)) public ghostTrades;
    mapping(address seller => mapping(uint256 periodId => uint256)) public ghostSumV;
    /// @notice Ghost of the handling fees credited to the fee recipient by `collectFees`, per (seller, period).
    mapping(address seller => mapping(uint256 periodId => uint256)) public ghostCollected;
    /// @notice `collectFees` calls that credited something (coverage).
    uint256 public collections;

    constructor(
        EnergyToken token_,
        OrderBook book_,
        SignedBook sb_,
        address honest_,
        address grid_,
        address[ACTORS] memory actors_,
        address[ACTORS] memory meters_
    ) {
        token = token_;
        book = book_;
        sb = sb_;
        honest = honest_;
        grid = grid_;
        actors = actors_;
        meters = meters_;
    }

    function orderCount() external view returns (uint256) {
        return ids.length;
    }

    function orderOf(uint256 id) external view returns (SignedBook.Order memory) {
        return _order[id];
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + (seconds_ % 4 == 0 ? _bound(seconds_ >> 2, 1, 2 days) : _bound(seconds_ >> 2, 1, 40 minutes)));
    }

    function openPeriod(uint256 lengthSeed) external {
        if (book.periodCount() >= MAX_PERIODS) return;
        uint64 t = uint64(block.timestamp);
        uint64 publishEnd = t + uint64(_bound(lengthSeed, 10 minutes, 2 hours));
        uint64 matchEnd = publishEnd + 30 minutes;
        uint64 signEnd = matchEnd + uint64(_bound(lengthSeed >> 32, 10 minutes, 2 hours));
        uint64 readingsEnd = signEnd + uint64(_bound(lengthSeed >> 64, 1 hours, 12 hours));
        (signEnd, readingsEnd) = Schedules.notBeforePrevious(book, signEnd, readingsEnd);
        // periods alternate: honest-supplier, grid-balanced, ...
        book.openPeriod(book.periodCount() % 2 == 0 ? honest : grid, publishEnd, matchEnd, signEnd, readingsEnd);
    }

    function deposit(uint256 actorSeed, uint256 amount) external {
        address who = actors[actorSeed % ACTORS];
        amount = _bound(amount, 1, 100e18);
        _mint(who, amount);
        vm.prank(who);
        token.approve(address(sb), amount);
        vm.prank(who);
        sb.deposit(amount);
    }

    function withdraw(uint256 actorSeed) external {
        vm.prank(actors[actorSeed % ACTORS]);
        sb.withdraw();
    }

    /// @notice Both parties sign a deal (EIP-712) and a relayer opens it, either alone or in a batch of two with a
    ///         second deal whose buyer signature is forged (`openMany` must skip it and open the first).
    function open(uint256 sellerSeed, uint256 buyerSeed, uint256 energy, uint256 price, uint256 bonus, bool batch)
        external
    {
        uint256 periods = book.periodCount();
        if (periods == 0 || ids.length >= MAX_ORDERS) return;
        uint256 si = sellerSeed % ACTORS;
        uint256 bi = buyerSeed % ACTORS;
        SignedBook.Deal memory d = SignedBook.Deal(
            periods, actors[si], actors[bi], _bound(energy, 1, 20_000), _bound(price, 1e15, 1e18), _bound(bonus, 0, 1e18), _nonce++
        );
        bytes32 digest = sb.dealDigest(d);
        if (!batch) {
            sb.open(d, _sig(KEY_BASE + si, digest), _sig(KEY_BASE + bi, digest));
            _record(d, uint256(digest));
            return;
        }
        SignedBook.Deal[] memory deals = new SignedBook.Deal[](2);
        bytes[] memory ss = new bytes[](2);
        bytes[] memory bs = new bytes[](2);
        deals[0] = d;
        ss[0] = _sig(KEY_BASE + si, digest);
        bs[0] = _sig(KEY_BASE + bi, digest);
        // a separate struct: `deals[1] = d` would alias deals[0] in memory, and setting its nonce would then
        // change the first deal too (its signatures no longer matching: the batch never opened anything)
        deals[1] = SignedBook.Deal(d.periodId, d.seller, d.buyer, d.energyWh, d.pricePerKwh, d.bonus, _nonce++);
        bytes32 digest2 = sb.dealDigest(deals[1]);
        ss[1] = _sig(KEY_BASE + si, digest2);
        bs[1] = _sig(KEY_BASE + si, digest2); // forged: the seller's key for the buyer
        if (si == bi) return; // a self-trade is refused anyway
        uint256 opened = sb.openMany(deals, ss, bs);
        require(opened <= 1, "a forged deal opened");
        require(!sb.nonceUsed(actors[si], deals[1].nonce), "a skipped item spent its nonce");
        if (opened == 1) _record(d, uint256(digest));
    }

    /// @notice The handler holds the signed book's MATCHER_ROLE (as the `MatchingMarket` does in a deployment) and
    ///         opens matched deals of a period in its [matchEnd, signEnd) window (nonce = a fresh request id) in a batch of three whose
    ///         middle item is bad (a self-trade or zero energy): it must be skipped with its request id unspent,
    ///         and a request id opens once (the first item is handed in again as the third).
    function openMatched(uint256 sellerSeed, uint256 buyerSeed, uint256 energy, uint256 price, uint256 bonus, bool zero)
        external
    {
        if (ids.length >= MAX_ORDERS) return;
        uint256 pid = book.periodCount();
        while (pid > 0) {
            (,, uint64 matchEnd, uint64 signEnd,) = _schedule(pid);
            if (block.timestamp >= matchEnd && block.timestamp < signEnd) break;
            pid--;
        }
        if (pid == 0) return; // no period in its [matchEnd, signEnd) window now
        SignedBook.Deal[] memory deals = new SignedBook.Deal[](3);
        SignedBook.Deal memory d = SignedBook.Deal(
            pid, actors[sellerSeed % ACTORS], actors[buyerSeed % ACTORS], _bound(energy, 1, 20_000),
            _bound(price, 1e15, 1e18), _bound(bonus, 0, 1e18), _nonce++
        );
        deals[0] = d;
        (uint256 escrow,) = _deposits(d);
        escrow += sb.handlingFee();
        if (sb.withdrawable(d.buyer) < escrow) {
            // the request's buyer funded its signed-book balance (else the pair is skipped: covered by tests)
            _mint(d.buyer, escrow);
            vm.prank(d.buyer);
            token.approve(address(sb), escrow);
            vm.prank(d.buyer);
            sb.deposit(escrow);
        }
        // a separate struct (a memory assignment would alias deals[0]): the same terms but bad, its own request id
        deals[1] = SignedBook.Deal(
            pid, d.seller, zero ? d.buyer : d.seller, zero ? 0 : d.energyWh, d.pricePerKwh, d.bonus, _nonce++
        );
        deals[2] = d; // the first request again: refused (its id is spent)
        bool overCap = d.pricePerKwh > sb.matchedPriceCap(d.buyer);
        uint256 buyerBefore = sb.withdrawable(d.buyer);
        uint256 opened = sb.openMatched(deals);
        require(opened <= 1, "a bad matched deal opened or a request opened twice");
        require(!sb.nonceUsed(address(this), deals[1].nonce), "a skipped matched item spent its request id");
        if (overCap) {
            // the buyer's cap is its consent to the price (a request names none): nothing of its may move
            require(opened == 0, "a matched deal above the buyer's price cap opened");
            require(!sb.nonceUsed(address(this), d.nonce), "a deal above the cap spent its request id");
            require(sb.withdrawable(d.buyer) == buyerBefore, "a deal above the cap took the buyer's balance");
        }
        if (opened == 0) return;
        _record(d, uint256(keccak256(abi.encode(address(this), d.nonce))));
        ++matchedOpened;
    }

    /// @notice An actor sets its own matched price cap (setUp gives each 1e18, above every fuzzed price): a
    ///         lower one makes `openMatched` refuse that buyer's dearer deals, which it then checks.
    function setMatchedPriceCap(uint256 actorSeed, uint256 cap) external {
        vm.prank(actors[actorSeed % ACTORS]);
        sb.setMatchedPriceCap(_bound(cap, 0, 1e18));
    }

    function approve(uint256 seed, bool batchWithStale) external {
        (uint256 id, bool found) = _pick(seed, 1);
        if (!found) return;
        bytes32 h = keccak256(abi.encode(_order[id]));
        if (!batchWithStale) {
            sb.approve(id, h);
            return;
        }
        uint256[] memory list = new uint256[](2);
        bytes32[] memory hashes = new bytes32[](2);
        list[0] = id;
        hashes[0] = h;
        list[1] = id;
        hashes[1] = bytes32(uint256(h) ^ (1 << 255)); // stale: must be skipped (the first item already approved)
        uint256 before = sb.orderWord(id);
        uint256 done = sb.approveMany(list, hashes);
        if (done == 1) require(sb.orderWord(id) == (before & ~uint256(0xff)) | 2, "approveMany: wrong word");
        require(done <= 1, "a stale approval applied");
    }

    function reject(uint256 seed) external {
        (uint256 id, bool found) = _pick(seed, 1);
        if (!found) return;
        sb.reject(id, _order[id], "fuzz");
    }

    function expire(uint256 seed) external {
        (uint256 id, bool found) = _pick(seed, 1);
        if (!found) return;
        sb.expire(id, _order[id]);
    }

    function revoke(uint256 sellerSeed, uint256 buyerSeed, bool byBuyer) external {
        SignedBook.Deal memory d =
            SignedBook.Deal(1, actors[sellerSeed % ACTORS], actors[buyerSeed % ACTORS], 1, 1, 0, _nonce++);
        vm.prank(byBuyer ? d.buyer : d.seller);
        sb.revoke(d);
    }

    /// @notice A relayer hands in final readings signed by the meters (one or both sides; `faulty` ones are
    ///         implausible, above the meter's budget); alone or as the middle item of a batch of three whose other
    ///         items are the same report again (a side reads once: at most one item applies).
    function report(uint256 seed, uint256 energySeed, uint256 sides, bool faulty, bool batch) external {
        (uint256 id, bool found) = _pick(seed, 2 | 4);
        if (!found) return;
        SignedBook.Order memory o = _order[id];
        uint256 energy = faulty ? type(uint96).max : _bound(energySeed, 0, o.energyWh * 2);
        SignedBook.Reading memory none;
        SignedBook.Report memory r = SignedBook.Report(id, o, none, none);
        if (sides % 3 != 1) r.seller = _reading(id, 0, energy, _index(o.seller));
        if (sides % 3 != 0) r.buyer = _reading(id, 1, energy, _index(o.buyer));
        vm.recordLogs();
        if (!batch) {
            sb.report(r);
            _countSettled();
            return;
        }
        SignedBook.Report[] memory items = new SignedBook.Report[](3);
        items[0] = r;
        items[1] = r;
        items[2] = r;
        require(sb.reportMany(items) <= 1, "a reading applied twice");
        _countSettled();
    }

    function _reading(uint256 id, uint8 side, uint256 energy, uint256 i) private view returns (SignedBook.Reading memory) {
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                sb.domainSeparator(),
                keccak256(abi.encode(sb.FINAL_READING_TYPEHASH(), id, side, energy, meters[i]))
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(METER_KEY_BASE + i, digest);
        return SignedBook.Reading(energy, meters[i], r, bytes32(uint256(s) | (uint256(v - 27) << 255)));
    }

    function settle(uint256 seed, bool batch) external {
        (uint256 id, bool found) = _pick(seed, 2 | 4);
        if (!found) return;
        vm.recordLogs();
        if (!batch) {
            sb.settle(id, _order[id]);
            _countSettled();
            return;
        }
        uint256[] memory list = new uint256[](2);
        SignedBook.Order[] memory os = new SignedBook.Order[](2);
        list[0] = id;
        os[0] = _order[id];
        list[1] = id; // the same order again: ended by the first item, must be skipped
        os[1] = _order[id];
        require(sb.settleMany(list, os) <= 1, "an order settled twice");
        _countSettled();
    }

    /// @notice Anyone (this handler) collects the accrued handling fees of a (seller, period), sometimes naming it
    ///         twice in one call: the fee recipient gains exactly what was uncollected (once), and a call with
    ///         nothing to collect is refused and changes nothing.
    function collectFees(uint256 sellerSeed, uint256 periodSeed, bool twice) external {
        uint256 periods = book.periodCount();
        if (periods == 0) return;
        address seller = actors[sellerSeed % ACTORS];
        uint256 periodId = 1 + periodSeed % periods;
        uint256 due = sb.uncollectedFees(seller, periodId);
        uint256 before = sb.withdrawable(FEE_RECIPIENT);
        address[] memory sellers = new address[](twice ? 2 : 1);
        uint256[] memory pids = new uint256[](sellers.length);
        for (uint256 i = 0; i < sellers.length; i++) {
            (sellers[i], pids[i]) = (seller, periodId);
        }
        try sb.collectFees(sellers, pids) returns (uint256 amount) {
            require(due != 0 && amount == due, "collected other than the uncollected fees");
            ghostCollected[seller][periodId] += amount;
            collections += 1;
        } catch (bytes memory reason) {
            require(due == 0 && bytes4(reason) == SignedBook.NothingToCollect.selector, "a due collection refused");
        }
        require(sb.uncollectedFees(seller, periodId) == 0, "fees left after a collection");
        require(sb.withdrawable(FEE_RECIPIENT) == before + due, "fee recipient credited other than the fees due");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Add every `Settled` event of the book since `recordLogs` to the ghost tally.
    function _countSettled() private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 k = 0; k < logs.length; k++) {
            if (logs[k].emitter != address(sb) || logs[k].topics[0] != SignedBook.Settled.selector) continue;
            SignedBook.Order memory o = _order[uint256(logs[k].topics[1])];
            (uint256 delivered) = abi.decode(logs[k].data, (uint256));
            ghostTrades[o.seller][o.periodId] += 1;
            ghostSumV[o.seller][o.periodId] += delivered >= o.energyWh ? 1e18 : delivered * 1e18 / o.energyWh;
        }
    }

    function _record(SignedBook.Deal memory d, uint256 id) private {
        (,,, uint64 signEnd, uint64 readingsEnd) = _schedule(d.periodId);
        address policy = sb.policyFor(book.period(d.periodId).policy);
        (uint256 buyerDeposit, uint256 sellerDeposit) = policy == grid
            ? ISettlementPolicy(grid).deposits(
                ISettlementPolicy.Terms(id, d.periodId, d.seller, d.buyer, d.energyWh, d.pricePerKwh, d.bonus, 0)
            )
            : _deposits(d);
        _order[id] = SignedBook.Order(
            d.periodId, d.seller, d.buyer, d.energyWh, d.pricePerKwh, d.bonus, policy, signEnd, readingsEnd,
            uint128(buyerDeposit), uint128(sellerDeposit)
        );
        require(sb.statusOf(id, _order[id]) == 1, "opened order not recognised");
        ids.push(id);
    }

    function _schedule(uint256 periodId) private view returns (uint64, uint64, uint64, uint64, uint64) {
        OrderBook.Period memory p = book.period(periodId);
        return (p.opensAt, p.publishEnd, p.matchEnd, p.signEnd, p.readingsEnd);
    }

    /// @dev The honest-supplier deposits: cost rounded up (energy x price / 1000) + bonus, seller 0.
    function _deposits(SignedBook.Deal memory d) private pure returns (uint256, uint256) {
        return ((d.energyWh * d.pricePerKwh + 999) / 1000 + d.bonus, 0);
    }

    /// @dev An order whose status bit (1 Agreed, 2 Active, 4 Active with a reading) is in `statuses`.
    function _pick(uint256 seed, uint256 statuses) private view returns (uint256, bool) {
        uint256 n = ids.length;
        for (uint256 k = 0; k < n; k++) {
            uint256 id = ids[(seed + k) % n];
            uint256 s = sb.statusOf(id, _order[id]);
            if (s != 0 && statuses & (1 << (s - 1)) != 0) return (id, true);
        }
        return (0, false);
    }

    function _sig(uint256 key, bytes32 digest) private pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _mint(address to, uint256 amount) private {
        token.issue(to, amount);
        issued += amount;
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
