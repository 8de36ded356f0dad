"""Docker entrypoint of the docbot GitHub Action: everything lives in docbot.action."""

import os
import sys

from docbot.action import main, run_as_workspace_owner

if __name__ == "__main__":
    run_as_workspace_owner(os.environ)
    sys.exit(main())
