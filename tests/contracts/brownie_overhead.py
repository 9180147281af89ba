"""Two per-call costs of brownie 1.22 that dominated the contract suite's wall time, removed without
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

tests/contracts/conftest.py imports this module (applying item 1) and its hook (item 2), so both apply to
`brownie test` and to each of its xdist workers.
"""

import gc
import sys
from types import SimpleNamespace

import brownie.network  # noqa: F401  (loads brownie.network.rpc)

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
