"""Per-call costs of brownie 1.22 that dominated the contract suite's wall time, removed without
changing what any test sends, checks or isolates. Measured 2026-11-30 (cProfile of `brownie test`): each
`chain.snapshot()`, `chain.revert()`, `chain.sleep()` and `chain.mine()` cost ~0.1-0.2 s of Python before
reaching anvil, so the snapshot and revert of `fn_isolation` were most of every test's setup and teardown.

1. `brownie.network.rpc.internal`, the decorator on `Rpc.snapshot/revert/sleep/mine/...`, calls
   `inspect.stack()[1]` on every call only to read the caller's `self` (to warn when user code calls `rpc`
   directly instead of `chain`). `inspect.stack()` builds a FrameInfo with source context for every frame
   of pytest's deep stack, and for each one `inspect.getmodule` walks all of `sys.modules` (~2,000 modules
   here). The module's `inspect` is replaced by a namespace whose `stack()` returns the same frames, each
   with the `.frame` attribute the decorator reads, from `sys._getframe`: no source file or module is read.
   The decorator's check and its FutureWarning stay brownie's own.
2. `brownie.network.state._notify_registry`, run on every revert and reset, starts with a full
   `gc.collect()`, which traverses every live object: the loaded project's build artifacts (ASTs, source
   maps) alone are ~180,000 objects, ~0.2 s per collection. `gc.freeze()` once collection is done moves the
   objects alive then (the project, the collected test modules) to the permanent generation that
   `gc.collect()` skips; objects the tests create later are collected as before. The collection is there
   to drop dead weak references among the objects registered for revert notices (contract containers,
   accounts, the tx history), which live as long as the project does: the freeze keeps none of them alive
   that would otherwise have been dropped.
Not done, on purpose: web3 also asks for `eth_chainId` before every transaction (~1 in 5 requests). Caching it
was tried; with it a 12 M-gas transaction failed 2 times in 13 runs at load 5-7 with brownie's "Tx dropped
without known replacement" (cause not proven: anvil's missing-receipt race, foundry-rs/foundry#10944, is the
suspect), so the suite keeps brownie's own request pattern.

Two more, measured 2026-12-01 (a bare `eth_call` to anvil through web3 7.16, 300 calls at load ~10: 6.3 ms of
CPU each as brownie sends it, 2.9 ms with item 3, about 1.1 ms less again with item 4):
3. web3's `validation` middleware asks the node for `eth_chainId` before every `eth_call` (and every
   transaction), only to drop a `chainId` key from the call dict and compare it with the node's when present:
   brownie's call dicts (`_ContractMethod.call`) never carry one, so for `eth_call` the extra round trip
   checks nothing. `eth_call` is taken off the middleware's list of validated methods; transactions and gas
   estimates keep the check and brownie's request pattern (see "Not done" below).
4. `requests` re-reads the proxy environment on every request of a session that trusts it (most of the
   Python time of a request to anvil besides the socket). brownie's HTTPProvider gets a session with the
   same proxies, resolved once for its URL, that does not re-read them (what `energy_trading.chain.connect`
   does for its own connections). The requests sent are the same.

5. Not a cost but a race the faster requests made more frequent: anvil counts a sent transaction in the
   sender's nonce a moment before its receipt exists (foundry-rs/foundry#10944), and brownie's
   `_await_confirmation` reads that as "dropped without known replacement" and fails the test (seen once in
   334 tests at load 4 after items 3-4). Before brownie's own wait, the receipt is polled (5 ms steps, up to
   60 s); brownie then finds it on its first check and goes on exactly as before. A transaction without a
   receipt after that still gets brownie's verdict. Nothing in these tests replaces a transaction, so a real
   drop cannot be hidden.

6. Not a cost either, but disk: anvil moves the states it no longer keeps in memory to a directory under
   `~/.foundry/anvil/tmp` and removes it only on a clean shutdown, which brownie's stop is not
   (foundry-rs/foundry#4251): each `brownie test` left about 0.5 GB per anvil there, and repeated runs filled
   this machine's disk (54 GB on 2026-12-01). The suite's anvils get `--max-persisted-states 0`: old states
   are dropped instead of written to disk. No test reads a state that old (snapshots, which `fn_isolation`
   reverts to, are kept apart from that history).

tests/contracts/conftest.py imports this module (applying items 1, 3, 5 and 6), its hook (item 2) and its
fixture (item 4), so all apply to `brownie test` and to each of its xdist workers.
"""

import contextlib
import gc
import importlib
import sys
from types import SimpleNamespace

import brownie.network  # noqa: F401  (loads brownie.network.rpc)
import pytest
import requests
from brownie import web3
from brownie.network.transaction import TransactionReceipt
from web3._utils.rpc_abi import RPC
from web3.exceptions import TimeExhausted
from web3.middleware import validation

# `brownie.network.rpc` as an attribute is the Rpc() singleton, not the module: take the module itself
_rpc_module = sys.modules["brownie.network.rpc"]


def _stack(context: int = 1) -> list[SimpleNamespace]:
    """The caller's stack, innermost first, as records with `.frame` (what `inspect.stack()` returns, without
    the file names and source lines nobody reads here). `context` is accepted for signature compatibility."""
    frame = sys._getframe(1)
    frames = []
    while frame is not None:
        frames.append(SimpleNamespace(frame=frame))
        frame = frame.f_back
    return frames


_rpc_module.inspect = SimpleNamespace(stack=_stack)


def pytest_collection_finish(session: object) -> None:
    """Freeze everything alive once the tests are collected (see the module docstring, item 2)."""
    gc.collect()
    gc.freeze()


# item 3: `build_method_validators` reads this list on every request; without eth_call in it an eth_call gets
# no formatter and no eth_chainId request
if RPC.eth_call in validation.METHODS_TO_VALIDATE:
    validation.METHODS_TO_VALIDATE.remove(RPC.eth_call)


@pytest.fixture(scope="session", autouse=True)
def direct_rpc_session() -> None:
    """Item 4: once brownie is connected (before the first test), give its HTTP provider a session whose
    proxies for the node's URL are resolved once instead of on every request."""
    provider = web3.provider
    uri = getattr(provider, "endpoint_uri", None)
    manager = getattr(provider, "_request_session_manager", None)
    if uri is None or manager is None:  # not an HTTP provider: nothing to do
        return
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(uri))
    manager._explicit_session = session


_brownie_await_confirmation = TransactionReceipt._await_confirmation


def _await_confirmation(
    self: TransactionReceipt, block_number: int | None = None, required_confs: int = 1
) -> None:
    """Item 5: wait for the receipt first (anvil's nonce-before-receipt window), then brownie's own wait."""
    if required_confs > 0 and not block_number:
        # no receipt after a minute: brownie decides, as it always did
        with contextlib.suppress(TimeExhausted):
            web3.eth.wait_for_transaction_receipt(self.txid, timeout=60, poll_latency=0.005)
    _brownie_await_confirmation(self, block_number, required_confs)


TransactionReceipt._await_confirmation = _await_confirmation


_anvil_module = importlib.import_module("brownie.network.rpc.anvil")
_brownie_anvil_launch = _anvil_module.launch


def _launch_anvil(cmd: str, **kwargs: object) -> object:
    """Item 6: brownie's anvil launch, with the states anvil evicts from memory dropped instead of written to
    `~/.foundry/anvil/tmp` (a directory left behind by every run)."""
    if "--max-persisted-states" not in cmd:
        cmd = f"{cmd} --max-persisted-states 0"
    return _brownie_anvil_launch(cmd, **kwargs)


_anvil_module.launch = _launch_anvil
