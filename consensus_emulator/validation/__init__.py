"""Validation of the emulator against real systems and published measurements.

* `raft_paper`: Raft leader failover against Ongaro & Ousterhout 2014, §9.3 / Fig 16.
* `etcd`: Raft leader failover against a real 5-member etcd cluster run on this machine
  (`consensus-emulator validate etcd`).
"""
