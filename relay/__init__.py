"""relay: see what AI coding CLIs do with your money and context."""
__version__ = "0.1.0"
