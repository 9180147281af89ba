// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OrderBook} from "../../../contracts/market/OrderBook.sol";

/// @title Schedules: period windows the order book accepts, for the invariant handlers
library Schedules {
    /// @dev Windows ending no earlier than the previous period's (`OrderBook.openPeriod` refuses otherwise:
    ///      `ScheduleBeforePrevious`): a shorter period opened later is stretched to end with the previous one.
    function notBeforePrevious(OrderBook book, uint64 signEnd, uint64 readingsEnd)
        internal
        view
        returns (uint64, uint64)
    {
        uint256 n = book.periodCount();
        if (n == 0) return (signEnd, readingsEnd);
        uint64 prevSign = book.period(n).signEnd;
        uint64 prevReadings = book.period(n).readingsEnd;
        if (signEnd < prevSign) {
            readingsEnd += prevSign - signEnd;
            signEnd = prevSign;
        }
        return (signEnd, readingsEnd < prevReadings ? prevReadings : readingsEnd);
    }
}
