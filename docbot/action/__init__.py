"""The GitHub Action's face: ``main`` (the whole run), ``inputs`` (the runner's variables and inputs),
``gate`` (checks before a run), ``outputs`` (what a run leaves behind), ``runner`` (workflow commands,
step outputs and the job summary file)."""

from docbot.action.main import main

__all__ = ["main"]
