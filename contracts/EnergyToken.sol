// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Units} from "./lib/Units.sol";

/// @title EnergyToken: the market's currency (seed 004 §3.4 capital flow, seed 003 §5.2 token escrow)
/// @notice An OpenZeppelin ERC-20 (18 decimals, EIP-2612 permit). Tokens enter circulation in two ways:
///         the treasury issues them against cash received off chain at the configured rate `t`
///         (tokens per unit of cash currency, seed 003's `R*r*t`), and, on a devnet, anyone may draw a
///         fixed amount from the faucet once per cooldown. Holders redeem tokens back into cash at the same
///         rate (the treasury pays out off chain on the `TokensRedeemed` event).
/// @dev Invariants:
///  - `totalSupply() == issued + dripped - redeemed` (every mint and burn goes through `issue`, `drip`,
///    `redeem`); nothing else creates or destroys tokens, so the market and settlement only move them.
///  - `tokensPerCurrency` and the faucet parameters are immutable after deployment.
///  - Currency amounts are WAD fixed point (1e18 = one whole currency unit, e.g. one yuan); `t` is WAD
///    tokens per currency unit, so `tokens = currency * t / 1e18` (rounded down: the holder receives).
contract EnergyToken is ERC20, ERC20Permit, AccessControl {
    /// @notice Accounts allowed to issue tokens against cash received off chain (the consortium treasury).
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");

    /// @notice t: token base units per whole currency unit, WAD (1e18 = one token per currency unit).
    uint256 public immutable tokensPerCurrency;
    /// @notice Tokens (base units) one faucet draw gives; 0 disables the faucet (production deployments).
    uint256 public immutable faucetAmount;
    /// @notice Seconds an account waits between two faucet draws.
    uint256 public immutable faucetCooldown;

    /// @notice When each account may draw from the faucet again (unix seconds).
    mapping(address account => uint256) public nextDripAt;

    event TokensIssued(address indexed to, address indexed treasurer, uint256 currencyAmount, uint256 tokens);
    event TokensRedeemed(address indexed holder, uint256 tokens, uint256 currencyAmount);
    event FaucetDripped(address indexed account, uint256 tokens, uint256 nextDripAt);

    error ZeroRate();
    error ZeroAmount();
    error FaucetDisabled();
    error FaucetCoolingDown(address account, uint256 availableAt, uint256 now_);

    /// @param admin the account that grants roles (the consortium operator)
    /// @param treasurer the first treasurer (may issue tokens against cash)
    /// @param tokensPerCurrency_ t in WAD: token base units per whole currency unit (non-zero)
    /// @param faucetAmount_ tokens per faucet draw (0 = no faucet)
    /// @param faucetCooldown_ seconds between two draws of one account
    constructor(
        address admin,
        address treasurer,
        uint256 tokensPerCurrency_,
        uint256 faucetAmount_,
        uint256 faucetCooldown_
    ) ERC20("Energy Token", "ENT") ERC20Permit("Energy Token") {
        if (tokensPerCurrency_ == 0) revert ZeroRate();
        tokensPerCurrency = tokensPerCurrency_;
        faucetAmount = faucetAmount_;
        faucetCooldown = faucetCooldown_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(TREASURER_ROLE, treasurer);
    }

    /// @notice Treasurer: mint tokens for `currencyAmount` of cash received off chain from `to`.
    /// @param to the account credited
    /// @param currencyAmount cash received, WAD currency units
    /// @return tokens the tokens minted, `currencyAmount * t / 1e18` rounded down
    function issue(address to, uint256 currencyAmount) external onlyRole(TREASURER_ROLE) returns (uint256 tokens) {
        tokens = toTokens(currencyAmount);
        if (tokens == 0) revert ZeroAmount();
        _mint(to, tokens);
        emit TokensIssued(to, msg.sender, currencyAmount, tokens);
    }

    /// @notice Burn `tokens` of the caller's balance; the treasury pays the currency amount out off chain.
    /// @param tokens base units to redeem
    /// @return currencyAmount WAD currency owed, `tokens * 1e18 / t` rounded down
    function redeem(uint256 tokens) external returns (uint256 currencyAmount) {
        if (tokens == 0) revert ZeroAmount();
        currencyAmount = toCurrency(tokens);
        _burn(msg.sender, tokens);
        emit TokensRedeemed(msg.sender, tokens, currencyAmount);
    }

    /// @notice Devnet faucet: mint `faucetAmount` to the caller, at most once per `faucetCooldown`.
    /// @return tokens the amount minted
    function drip() external returns (uint256 tokens) {
        tokens = faucetAmount;
        if (tokens == 0) revert FaucetDisabled();
        uint256 availableAt = nextDripAt[msg.sender];
        if (block.timestamp < availableAt) revert FaucetCoolingDown(msg.sender, availableAt, block.timestamp);
        uint256 next = block.timestamp + faucetCooldown;
        nextDripAt[msg.sender] = next;
        _mint(msg.sender, tokens);
        emit FaucetDripped(msg.sender, tokens, next);
    }

    /// @notice Token base units for a WAD currency amount at rate t (rounded down).
    /// @param currencyAmount WAD currency units
    /// @return the tokens
    function toTokens(uint256 currencyAmount) public view returns (uint256) {
        return Units.wmul(currencyAmount, tokensPerCurrency);
    }

    /// @notice WAD currency units for a token amount at rate t (rounded down).
    /// @param tokens token base units
    /// @return the currency amount
    function toCurrency(uint256 tokens) public view returns (uint256) {
        return Math.mulDiv(tokens, Units.WAD, tokensPerCurrency);
    }
}
