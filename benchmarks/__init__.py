"""coursekit's performance figures, measured side by side with a peer: see ``benchmarks/run``."""
