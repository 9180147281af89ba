// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Units: the one fixed-point convention every contract of the dApp uses
/// @notice
///  - Energy is an integer number of watt-hours (Wh). 1 kWh = 1_000 Wh; 1 MWh = 1_000_000 Wh.
///  - Token amounts are EnergyToken base units (18 decimals, like wei).
///  - Prices are token base units per kWh.
///  - Ratios and weights are WAD fixed point: 1e18 = 1.0. Credit and node weights live on the
///    papers' 0..100 scale, so a weight of 100 is 100e18.
///  - Rounding: an amount a party pays is rounded up, an amount a party receives is rounded down,
///    so a rounding error never creates tokens; dust stays with whoever would otherwise lose it
///    (normally the escrow refund).
library Units {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant WH_PER_KWH = 1_000;
    uint256 internal constant WH_PER_MWH = 1_000_000;
    /// @dev The papers' weight ceiling Wmax = 100 (seed 001 eq 14-15), in WAD.
    uint256 internal constant MAX_WEIGHT = 100 * WAD;

    /// @notice Token cost of `energyWh` at `pricePerKwh`, rounded down (what a receiver gets).
    function costDown(uint256 energyWh, uint256 pricePerKwh) internal pure returns (uint256) {
        return Math.mulDiv(energyWh, pricePerKwh, WH_PER_KWH);
    }

    /// @notice Token cost of `energyWh` at `pricePerKwh`, rounded up (what a payer owes).
    function costUp(uint256 energyWh, uint256 pricePerKwh) internal pure returns (uint256) {
        return Math.mulDiv(energyWh, pricePerKwh, WH_PER_KWH, Math.Rounding.Ceil);
    }

    /// @notice a * b / WAD rounded down.
    function wmul(uint256 a, uint256 b) internal pure returns (uint256) {
        return Math.mulDiv(a, b, WAD);
    }

    /// @notice a * WAD / b rounded down.
    function wdiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return Math.mulDiv(a, WAD, b);
    }

    /// @notice a * b / WAD rounded up (an amount a party pays).
    function wmulUp(uint256 a, uint256 b) internal pure returns (uint256) {
        return Math.mulDiv(a, b, WAD, Math.Rounding.Ceil);
    }

    /// @notice `x^n` for a WAD `x` <= 1e18, by squaring, rounded down at every step, so the result never
    ///         exceeds the exact power (used for weight decay e^{-delta*n}, seed 001 eq 24-25: a decayed
    ///         weight is never larger than the exact one). Hand-written: OpenZeppelin's Math has no WAD power.
    function wpowDown(uint256 x, uint256 n) internal pure returns (uint256 result) {
        result = WAD;
        while (n != 0) {
            if (n & 1 != 0) result = Math.mulDiv(result, x, WAD);
            n >>= 1;
            if (n != 0) x = Math.mulDiv(x, x, WAD);
        }
    }
}
