// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title PlainERC1155: BENCHMARK BASELINE ONLY, never deployed by the dApp
/// @notice OpenZeppelin's plain ERC-1155 with an open mint, so `benchmarks/certificates_gas.py` can set the gas of
///         green-certificate issuance and transfer beside the cost of the bare token standard in the same run.
/// @dev Anyone may mint anything: this contract has no access rule on purpose and must not hold value.
contract PlainERC1155 is ERC1155 {
    constructor() ERC1155("") {}

    /// @notice Mint `value` of `id` to `to` (open to anyone: baseline only).
    /// @param to the receiver
    /// @param id the token id
    /// @param value the amount
    function mint(address to, uint256 id, uint256 value) external {
        _mint(to, id, value, "");
    }
}
