"""Benchmarks, run from a checkout (never installed: nothing here is part of the ``docbot`` package).

``./dev bench`` (``python -m bench``) measures the naive first version ("phase 1") and docbot side by
side: ``workloads`` runs the five workloads and formats the results, ``phase1`` is the naive version,
``sources`` generates the benchmark's source files. The other modules are single-purpose scripts
(``chunking``, ``cache_bench``, ``bench_changes``, ``bench_publish``, ``llm_provider``). See
docs/performance.md.
"""
