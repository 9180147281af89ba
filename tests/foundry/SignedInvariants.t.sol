// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnergyToken} from "../../contracts/EnergyToken.sol";
import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {OrderBook} from "../../contracts/market/OrderBook.sol";
import {ProviderReputation} from "../../contracts/market/ProviderReputation.sol";
import {SignedBook} from "../../contracts/market/SignedBook.sol";
import {HonestSupplierSettlement} from "../../contracts/settlement/HonestSupplierSettlement.sol";
import {GridAccount} from "../../contracts/settlement/GridAccount.sol";
import {GridBalancedSettlement} from "../../contracts/settlement/GridBalancedSettlement.sol";
import {IParticipantRegistry} from "../../interfaces/IParticipantRegistry.sol";
import {InvariantSetup} from "./InvariantSetup.sol";
import {SignedHandler} from "./handlers/SignedHandler.sol";

/// @title SignedBook invariants under a fuzzed sequence of every public path (issue 13)
/// @notice After every handler call: conservation (the book's tokens = every internal balance + the escrow of
///         every open order), and liveness (every open order past its deadline is ended by a stranger's one call,
///         after which the parties, the fee recipient and the grid account can pull everything: no token stuck).
///         Periods are honest-supplier or grid-balanced (seed 001: a `GridBalancedSettlement` bound to the signed
///         book, mapped with `mapGridPolicy`, with its credit ledger, penalty pool, node weights, grid account).
///         And the reputation tally: per (seller, period) `open` = the seller's orders of the period not ended, `trades`
///         and `sumV` = the trades settled (the handler's ghost, from the `Settled` events); after the overdue
///         orders are ended, `fold` never reverts and every provider's reputation stays in [0, 1e18]. And every
///         meter's one energy budget (the registry's, shared by both books) holds.
contract SignedInvariantsTest is InvariantSetup {
    uint256 internal constant FEE = 1e16;

    EnergyToken internal token;
    ParticipantRegistry internal registry;
    OrderBook internal book;
    SignedBook internal sb;
    ProviderReputation internal reputation;
    SignedHandler internal handler;
    GridAccount internal gridAccount;

    function setUp() public {
        vm.warp(1_800_000_000);
        address h = _predictHandler(12); // the 12 contracts below come first
        token = new EnergyToken(address(this), h, WAD, 0, 0);
        registry = new ParticipantRegistry(address(this), h);
        reputation = new ProviderReputation(address(this), 4e17);
        book = new OrderBook(address(this), h, registry, token, reputation, address(0xFEE), FEE, GRACE);
        HonestSupplierSettlement honest = new HonestSupplierSettlement(address(book), 200);
        sb = new SignedBook(address(this), book, token);
        registry.grantRole(registry.METER_BUDGET_ROLE(), address(book));
        registry.grantRole(registry.METER_BUDGET_ROLE(), address(sb));
        HonestSupplierSettlement signedPolicy = new HonestSupplierSettlement(address(sb), 200);
        book.setPolicyAllowed(address(honest), true);
        sb.mapPolicy(address(honest), address(signedPolicy));
        sb.grantRole(sb.MATCHER_ROLE(), h); // the handler opens matched deals as the MatchingMarket would
        address grid = _gridPolicy();
        reputation.setTallyBook(sb);
        _registerActors(registry);
        handler = new SignedHandler(token, book, sb, address(honest), grid, actors, meters);
        require(address(handler) == h, "handler address prediction");
        for (uint256 i = 0; i < 4; i++) {
            vm.prank(actors[i]); // each buyer accepts matched prices up to 1 token/kWh (the handler's highest)
            sb.setMatchedPriceCap(1e18);
            vm.prank(h);
            registry.approve(actors[i]);
            vm.prank(h);
            registry.approveMeter(meters[i]);
        }
        targetContract(address(handler));
    }

    function invariant_signedBookHolds() public {
        _conserves();
        _tallies();
        _meterBudgets();
        _everyOrderEnds();
    }

    /// @notice Every meter's one Wh budget in the registry, shared by both books (attack review 6, finding 1):
    ///         what the books accepted since its approval never exceeds rated power x that time.
    function _meterBudgets() private view {
        for (uint256 i = 0; i < 4; i++) {
            IParticipantRegistry.Meter memory m = registry.meterInfo(meters[i]);
            require(
                uint256(m.tradedWh) * 3600 <= uint256(m.ratedPowerW) * (block.timestamp - m.approvedAt),
                "meter: traded energy above rated power x time"
            );
        }
    }

    /// @notice The book's reputation tally of every (actor, period) against the orders and the ghost.
    function _tallies() private view {
        uint256 periods = book.periodCount();
        uint256[4][13] memory open; // MAX_PERIODS = 12, ids from 1
        for (uint256 k = 0; k < handler.orderCount(); k++) {
            uint256 id = handler.ids(k);
            SignedBook.Order memory o = handler.orderOf(id);
            if (sb.statusOf(id, o) != 0) open[o.periodId][_actor(o.seller)] += 1;
        }
        for (uint256 p = 1; p <= periods; p++) {
            for (uint256 i = 0; i < 4; i++) {
                (uint256 n, uint256 trades, uint256 sumV) = sb.tallyOf(actors[i], p);
                require(n == open[p][i], "tally: open orders");
                require(trades == handler.ghostTrades(actors[i], p), "tally: trades != settled orders");
                require(sumV == handler.ghostSumV(actors[i], p), "tally: sum of v");
                require(sumV <= trades * WAD, "tally: a v above 1");
                // every trade's fee accrued exactly once: collected by the fee recipient or still uncollected
                require(
                    handler.ghostCollected(actors[i], p) + sb.uncollectedFees(actors[i], p) == trades * FEE,
                    "fees: collected + uncollected != trades x fee"
                );
            }
        }
    }

    function _actor(address who) private view returns (uint256) {
        for (uint256 i = 0; i < 4; i++) {
            if (actors[i] == who) return i;
        }
        revert("not an actor");
    }

    /// @notice token.balanceOf(book) == sum of internal balances + escrow of every open order + the handling fees
    ///         accrued in the (seller, period) tallies and not collected; nothing else holds.
    function _conserves() private view {
        require(token.balanceOf(address(sb)) == _held(), "signed book: balance != balances + escrow + fees");
    }

    function _held() private view returns (uint256 held) {
        for (uint256 i = 0; i < 4; i++) {
            held += sb.withdrawable(actors[i]);
        }
        held += sb.withdrawable(address(0xFEE));
        held += sb.withdrawable(address(gridAccount));
        uint256 periods = book.periodCount();
        for (uint256 p = 1; p <= periods; p++) {
            for (uint256 i = 0; i < 4; i++) {
                held += sb.uncollectedFees(actors[i], p);
            }
        }
        for (uint256 k = 0; k < handler.orderCount(); k++) {
            uint256 id = handler.ids(k);
            SignedBook.Order memory o = handler.orderOf(id);
            if (sb.statusOf(id, o) != 0) held += uint256(o.buyerDeposit) + FEE + o.sellerDeposit;
        }
    }

    /// @notice Liveness: a stranger (this contract) ends every order past its deadline in one call; then every
    ///         payee pulls its balance and the book holds no token.
    function _everyOrderEnds() private {
        uint256 snapshot = vm.snapshotState();
        bool open;
        for (uint256 k = 0; k < handler.orderCount(); k++) {
            uint256 id = handler.ids(k);
            SignedBook.Order memory o = handler.orderOf(id);
            uint256 status = sb.statusOf(id, o);
            if (status == 0) continue;
            if (status == 1) {
                if (block.timestamp < o.signEnd) {
                    open = true;
                    continue;
                }
                sb.expire(id, o);
            } else {
                if (block.timestamp < uint256(o.readingsEnd) + GRACE) {
                    open = true;
                    continue;
                }
                sb.settle(id, o);
            }
            require(sb.statusOf(id, o) == 0, "an order past its deadline stayed open");
        }
        for (uint256 i = 0; i < 4; i++) {
            reputation.fold(actors[i]); // never reverts (bounded by the actor's own periods)
            require(reputation.reputationOf(actors[i]) <= WAD, "reputation above 1e18");
        }
        if (!open) {
            _collectAll();
            for (uint256 i = 0; i < 4; i++) {
                _pull(actors[i]);
            }
            _pull(address(0xFEE));
            _pull(address(gridAccount));
            require(token.balanceOf(address(sb)) == 0, "signed book: a token is stuck after every order ended");

        }
        vm.revertToState(snapshot);
    }

    /// @dev A stranger (this contract) collects every accrued fee for the fee recipient, in one call.
    function _collectAll() private {
        uint256 periods = book.periodCount();
        address[] memory sellers = new address[](periods * 4);
        uint256[] memory pids = new uint256[](periods * 4);
        for (uint256 p = 1; p <= periods; p++) {
            for (uint256 i = 0; i < 4; i++) {
                (sellers[(p - 1) * 4 + i], pids[(p - 1) * 4 + i]) = (actors[i], p);
            }
        }
        try sb.collectFees(sellers, pids) {} catch {} // nothing to collect: refused, nothing changes
        for (uint256 p = 1; p <= periods; p++) {
            for (uint256 i = 0; i < 4; i++) {
                require(sb.uncollectedFees(actors[i], p) == 0, "a fee left uncollected");
            }
        }
    }

    function _pull(address payee) private {
        if (sb.withdrawable(payee) == 0) return;
        vm.prank(payee);
        sb.withdraw();
    }

    /// @dev The seed 001 ledgers and a grid-balanced policy bound to the signed book (5 contracts), allowed on the
    ///      order book and mapped with the period total.
    function _gridPolicy() private returns (address) {
        GridBalancedSettlement grid;
        (grid,, gridAccount) = _seed001Grid(registry, token, address(this));
        grid.grantRole(grid.MARKET_ROLE(), address(sb));
        book.setPolicyAllowed(address(grid), true);
        sb.mapGridPolicy(address(grid));
        return address(grid);
    }
}
