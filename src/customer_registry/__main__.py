"""`python -m customer_registry` is the `customer-registry` command."""

import sys

from customer_registry.cli import main

sys.exit(main())
