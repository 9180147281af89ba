"""Chain plumbing: compile the contracts, connect to an EVM, deploy, decode reverts, run a local node."""
