"""Risk pages, one module per subject."""
