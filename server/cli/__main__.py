"""Run hailong-collector as `python -m hailong.server.cli`."""

import sys

from hailong.server.cli import main

sys.exit(main())
