"""``python -m tui_nn``: the same command line as ``tui-nn``."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="tui-nn")
