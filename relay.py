"""Entry point for source runs, the zipapp and PyInstaller: everything else lives in relay/."""
from relay.__main__ import main

if __name__ == "__main__":
    main()
