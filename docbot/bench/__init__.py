"""``docbot bench``: the naive first version ("phase 1") and docbot, measured side by side.

``workloads`` runs the five workloads and formats the results; ``phase1`` is the naive version;
``sources`` generates the benchmark's source files. See docs/performance.md.
"""
