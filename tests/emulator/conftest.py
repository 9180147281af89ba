"""Shared settings for the consensus-emulator tests."""

from hypothesis import settings

# No per-example deadline: a deadline is a timed assertion, and on a loaded CI machine it fails the first call
# of an example but not its rerun, which hypothesis reports as Flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")
