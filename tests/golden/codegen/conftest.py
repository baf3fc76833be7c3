"""The snapshots below are generated packages, compared byte for byte by
tests/golden/test_codegen_golden.py: pytest must not collect their own contract tests here."""

collect_ignore_glob = ["*/*"]
