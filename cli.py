"""Run the ossmetrics CLI from a checkout without installing: ``python cli.py --help``."""

from ossmetrics.cli import main

if __name__ == "__main__":
    main()
