"""Docker entrypoint of the docbot GitHub Action: everything lives in docbot.action."""

import os
import sys

from docbot.action import main, point_credentials_into_the_container, run_as_workspace_owner

if __name__ == "__main__":
    run_as_workspace_owner(os.environ)
    point_credentials_into_the_container(os.environ)
    sys.exit(main())
