"""The GitHub Action's face: ``main`` (the whole run), ``inputs`` (the runner's variables and inputs),
``gate`` (checks before a run), ``outputs`` (what a run leaves behind), ``runner`` (workflow commands,
step outputs and the job summary file), ``user`` (which user the process runs as), ``hostpaths``
(credential files exported by their path on the runner)."""

from docbot.action.hostpaths import point_credentials_into_the_container
from docbot.action.main import main
from docbot.action.user import run_as_workspace_owner

__all__ = ["main", "point_credentials_into_the_container", "run_as_workspace_owner"]
