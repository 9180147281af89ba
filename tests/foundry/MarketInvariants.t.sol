// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EnergyToken} from "../../contracts/EnergyToken.sol";
import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {OrderBook} from "../../contracts/market/OrderBook.sol";
import {ProviderReputation} from "../../contracts/market/ProviderReputation.sol";
import {HonestSupplierSettlement} from "../../contracts/settlement/HonestSupplierSettlement.sol";
import {GridBalancedSettlement} from "../../contracts/settlement/GridBalancedSettlement.sol";
import {GridAccount} from "../../contracts/settlement/GridAccount.sol";
import {PenaltyPool} from "../../contracts/weights/PenaltyPool.sol";
import {GreenCertificates} from "../../contracts/certificates/GreenCertificates.sol";
import {CarbonLedger} from "../../contracts/certificates/CarbonLedger.sol";
import {IEnergyMarket} from "../../interfaces/IEnergyMarket.sol";
import {InvariantSetup} from "./InvariantSetup.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";

/// @title Market invariants under a fuzzed sequence of every public path (issue 10)
/// @notice `forge test` (see foundry.toml: runs x depth) calls random `MarketHandler` functions and checks these
///         after every call: token conservation of each contract that holds tokens, the penalty pool never paying
///         more than it took, certificate supply = held + claimed, and liveness: every order past its deadline can
///         be brought to a terminal state by anyone, and so can a carried penalty past its timeout.
contract MarketInvariantsTest is InvariantSetup {
    EnergyToken internal token;
    ParticipantRegistry internal registry;
    OrderBook internal book;
    PenaltyPool internal pool;
    GridAccount internal gridAccount;
    GreenCertificates internal certs;
    CarbonLedger internal carbon;
    MarketHandler internal handler;

    function setUp() public {
        vm.warp(1_800_000_000);
        address h = _predictHandler(12); // the 12 contracts below come first
        token = new EnergyToken(address(this), h, WAD, 0, 0); // 1 token per WAD currency: issue(x) mints x
        registry = new ParticipantRegistry(address(this), h);
        ProviderReputation reputation = new ProviderReputation(address(this), 4e17);
        book = new OrderBook(address(this), h, registry, token, reputation, address(0xFEE), 1e16, GRACE);
        HonestSupplierSettlement honest = new HonestSupplierSettlement(address(book), 200);
        GridBalancedSettlement grid;
        (grid, pool, gridAccount) = _seed001Grid(registry, token, h);
        certs = new GreenCertificates(registry, "ipfs://certificates/{id}");
        carbon = new CarbonLedger(address(this), h, registry, token);

        registry.grantRole(registry.MARKET_ROLE(), address(book));
        registry.grantRole(registry.METER_BUDGET_ROLE(), address(book));
        reputation.grantRole(reputation.RECORDER_ROLE(), address(book));
        grid.grantRole(grid.MARKET_ROLE(), address(book));
        book.setPolicyAllowed(address(honest), true);
        book.setPolicyAllowed(address(grid), true);

        _registerActors(registry);
        handler = new MarketHandler(
            token, registry, book, pool, gridAccount, certs, carbon, address(honest), address(grid), actors, meters
        );
        require(address(handler) == h, "handler address prediction");
        for (uint256 i = 0; i < 4; i++) {
            vm.prank(h); // the handler is the auditor
            registry.approve(actors[i]);
            vm.prank(h);
            registry.approveMeter(meters[i]);
        }
        targetContract(address(handler));
    }

    /// @notice The one invariant campaign (forge runs one campaign of runs x depth calls per `invariant_*`
    ///         function, so the six properties share one campaign instead of paying for six): after every call
    ///         of the handler, each named property below must hold.
    function invariant_marketHolds() public {
        _orderBookConservesTokens();
        _penaltyPoolNeverPaysMoreThanItTook();
        _gridAccountConservesTokens();
        _tokenSupplyIsAccountedFor();
        _certificateSupplyIsHeldPlusClaimed();
        _everyOrderTerminates();
    }

    // ------------------------------------------------------------------ conservation

    /// @notice The order book holds exactly the open escrow plus what payees have not withdrawn.
    function _orderBookConservesTokens() private view {
        require(
            token.balanceOf(address(book)) == book.totalEscrowed() + book.totalWithdrawable(), "book: balance != held"
        );
        uint256 escrowed;
        for (uint256 id = 1; id <= book.orderCount(); id++) {
            IEnergyMarket.Order memory o = book.order(id);
            if (_terminal(o.status)) continue;
            if (o.buyerSigned) escrowed += uint256(o.buyerDeposit) + o.fee;
            if (o.sellerSigned) escrowed += o.sellerDeposit;
        }
        require(escrowed == book.totalEscrowed(), "book: escrow != open orders' signed deposits");
    }

    /// @notice The penalty pool never pays out more than it took in, and holds exactly the difference.
    function _penaltyPoolNeverPaysMoreThanItTook() private view {
        require(handler.poolOut() <= handler.poolIn(), "pool paid more than it took");
        require(token.balanceOf(address(pool)) == handler.poolIn() - handler.poolOut(), "pool: balance != in - out");
    }

    /// @notice The grid account holds exactly what reached it minus what it paid.
    function _gridAccountConservesTokens() private view {
        require(
            token.balanceOf(address(gridAccount)) == handler.gridIn() - handler.gridOut(), "grid: balance != in - out"
        );
    }

    /// @notice No token is created or lost anywhere: supply = issued, and every token sits with a known holder.
    function _tokenSupplyIsAccountedFor() private view {
        require(token.totalSupply() == handler.issued(), "supply != issued");
        uint256 held = token.balanceOf(address(book)) + token.balanceOf(address(pool))
            + token.balanceOf(address(gridAccount)) + token.balanceOf(address(carbon)) + token.balanceOf(address(0xFEE))
            + token.balanceOf(address(handler));
        for (uint256 i = 0; i < 4; i++) {
            held += token.balanceOf(actors[i]);
        }
        require(held == token.totalSupply(), "a token is held outside the known holders");
    }

    /// @notice Certificates: issued = in circulation + claimed, and the holders' sums match.
    function _certificateSupplyIsHeldPlusClaimed() private view {
        require(certs.totalIssued() == certs.totalSupply() + certs.totalClaimed(), "issued != supply + claimed");
        uint256 held;
        uint256 claimed;
        for (uint256 i = 0; i < 4; i++) {
            held += certs.heldCertificates(actors[i]);
            claimed += certs.claimedCertificates(actors[i]);
        }
        require(held == certs.totalSupply(), "held != supply");
        require(claimed == certs.totalClaimed(), "claimed sums differ");
    }

    // ------------------------------------------------------------------ liveness

    /// @notice Every order past its deadline can be brought to a terminal state by anyone, in one call:
    ///         `expire` for orders not in effect (from signEnd), `settle` for active ones (from readingsEnd +
    ///         grace). Checked on a snapshot: the state is restored after each check.
    function _everyOrderTerminates() private {
        uint256 snapshot = vm.snapshotState();
        for (uint256 id = 1; id <= book.orderCount(); id++) {
            IEnergyMarket.Order memory o = book.order(id);
            if (_terminal(o.status)) continue;
            IEnergyMarket.Period memory p = book.period(o.periodId);
            if (o.status == IEnergyMarket.OrderStatus.Active) {
                if (block.timestamp < uint256(p.readingsEnd) + GRACE) continue;
                book.settle(id); // sent by this test contract: a stranger to every order
            } else {
                if (block.timestamp < p.signEnd) continue;
                book.expire(id);
            }
            require(_terminal(book.order(id).status), "an order past its deadline stayed open");
        }
        _nothingStuckOnceEveryOrderEnded();
        _carriedPenaltyTerminates();
        vm.revertToState(snapshot);
    }

    /// @notice No token stuck (review 2): once every order is terminal, no escrow is left and every payee (the
    ///         parties, the fee recipient, the grid account) can pull what it is owed, which empties the book.
    ///         Runs inside `_everyOrderTerminates`' snapshot, after it ended every order past its deadline.
    function _nothingStuckOnceEveryOrderEnded() private {
        for (uint256 id = 1; id <= book.orderCount(); id++) {
            if (!_terminal(book.order(id).status)) return; // an order still running holds its escrow
        }
        require(book.totalEscrowed() == 0, "book: escrow left after every order ended");
        for (uint256 i = 0; i < 4; i++) {
            _pull(actors[i]);
        }
        _pull(address(0xFEE));
        if (book.withdrawable(address(gridAccount)) > 0) gridAccount.collect(address(book));
        require(book.totalWithdrawable() == 0, "book: a credit nobody can pull");
        require(token.balanceOf(address(book)) == 0, "book: a token is stuck after every order ended");
    }

    /// @notice A carried penalty is never parked (review 6 finding 2): at its timeout anyone releases it to the
    ///         treasury's withdrawable balance. Runs inside `_everyOrderTerminates`' snapshot (the clock too).
    function _carriedPenaltyTerminates() private {
        uint256 carried = pool.carried();
        if (carried == 0) return;
        uint256 now_ = block.timestamp;
        uint256 due = pool.carriedSince() + pool.CARRY_TIMEOUT();
        if (now_ < due) vm.warp(due);
        uint256 before = pool.withdrawable(TREASURY);
        pool.releaseCarried();
        require(pool.carried() == 0 && pool.withdrawable(TREASURY) == before + carried, "pool: carried penalty stuck");
        vm.warp(now_);
    }

    function _pull(address payee) private {
        if (book.withdrawable(payee) == 0) return;
        vm.prank(payee);
        book.withdraw();
    }

    // ------------------------------------------------------------------ helpers

    function _terminal(IEnergyMarket.OrderStatus s) private pure returns (bool) {
        return s == IEnergyMarket.OrderStatus.Settled || s == IEnergyMarket.OrderStatus.Rejected
            || s == IEnergyMarket.OrderStatus.Cancelled;
    }
}
