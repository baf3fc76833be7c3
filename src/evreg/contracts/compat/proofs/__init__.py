"""What the engine proves from two schemas without generating a value: that a reader accepts
every value of a writer (``inclusion``), and whether a value is valid where the answer is sure
without a real validator (``quick_check``, three-valued). The diff, the witness search and the
guard all ask them; they import nothing above ``report``."""

from evreg.contracts.compat.proofs.inclusion import Inclusion
from evreg.contracts.compat.proofs.quick_check import QuickCheck, quick_check

__all__ = ["Inclusion", "QuickCheck", "quick_check"]
