"""`python -m dapattach`: same entry point as the `dapattach` console script."""

import sys

from dapattach.cli import main

sys.exit(main())
