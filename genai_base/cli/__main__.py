"""``python -m genai_base.cli``: the same as the ``genai-base`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
