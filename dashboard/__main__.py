"""`python -m dashboard ...`: the same command line as `pfocr-dashboard`."""

import sys

from dashboard.cli import main

sys.exit(main())
