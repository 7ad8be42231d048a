"""What the notebooks use to show and compare: 02's parameter table, 05's side-by-side verifier, and
the terminal conversation (python -m companion_app chat)."""
