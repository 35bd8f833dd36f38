"""Cases: the case model, its reference and its keys (content comes with intake)."""
