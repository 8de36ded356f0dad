"""Docker entrypoint of the docbot GitHub Action: everything lives in docbot.action."""

import sys

from docbot.action import main

if __name__ == "__main__":
    sys.exit(main())
