"""Stop early, in one line, when the Python that creates the virtualenv is too old."""

import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"error: Python 3.11 or newer is needed (this is {sys.version.split()[0]}); "
        "run again with PYTHON=/path/to/python3.11."
    )
