"""Run the command line with ``python -m skperceptron``."""

from ._cli import main

raise SystemExit(main())
