#!/usr/bin/env bash
# compile.sh: build both compile outputs `make test` needs, side by side. brownie's build (build/contracts, for
# the contract suite) and the in-process package's cache (build/energy_trading, keyed by a hash of the sources
# and settings, for the Python suite) come from two solcjs runs over the same sources; solcjs is
# single-threaded, so on two cores the second costs no extra wall time. Exit status: the first failure's.
n=$(find contracts interfaces -name '*.sol' | wc -l)
echo "compile: $n Solidity files with solcjs, twice side by side (brownie's build and the in-process cache)," \
  "about a minute on two cores; brownie prints the contracts when it is done"
python -c "from energy_trading.chain.compiler import compile_contracts; compile_contracts()" &
inprocess=$!
brownie compile
rc=$?
wait "$inprocess"
inprocess_rc=$?
if [ "$rc" -eq 0 ]; then rc=$inprocess_rc; fi
exit "$rc"
