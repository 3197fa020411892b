"""``python -m governance`` runs the command-line interface."""

from governance.cli import main

if __name__ == "__main__":
    main()
