"""``python -m cluster.bench``: the same as ``odyssey bench``."""
import sys

from cluster.bench.command import main

sys.exit(main())
