"""The GitHub Action's face: ``main`` (the whole run), ``inputs`` (the runner's variables and inputs),
``gate`` (checks before a run), ``outputs`` (what a run leaves behind), ``runner`` (workflow commands,
step outputs and the job summary file), ``user`` (which user the process runs as)."""

from docbot.action.main import main
from docbot.action.user import run_as_workspace_owner

__all__ = ["main", "run_as_workspace_owner"]
