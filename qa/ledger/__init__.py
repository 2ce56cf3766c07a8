"""The ledger: 2025 targets and 2024 results, one row per figure, matched across years."""
