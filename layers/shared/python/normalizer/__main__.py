"""`python -m normalizer ...`: see `normalizer.cli`."""

from normalizer.cli import main

raise SystemExit(main())
