"""Business rules. Plain Python, no Reflex: the UI, worker, CLI and tests all call these."""
