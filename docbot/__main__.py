import sys

from docbot.cli import main

sys.exit(main())
