"""Documentation providers: the ``Provider`` protocol (base.py), the offline provider and Claude."""
