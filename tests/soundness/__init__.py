"""The soundness fuzzer (issue 14 item 4): evreg's verdicts against an independent oracle.

corpus (seed schemas) -> mutate + edits (pairs: a seed and its mutant, either order) -> fuzz
(evreg's public ``check_compatibility``, then judged) -> search + values (the fuzzer's own
counterexample search) -> oracle (``jsonschema``'s validators). shrink makes a finding small for
a report. Nothing here imports evreg's witness search. The fixed-seed run is
``test_soundness_fuzz.py``; the long run ``bench/bench_soundness.py``.
"""
