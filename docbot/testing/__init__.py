"""Loopback stand-ins for the services docbot talks to, shipped so ``docbot bench`` can run anywhere.

Nothing in a normal ``docbot run`` imports this package; tests and the benchmark do.
"""
