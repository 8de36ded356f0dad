"""docbot: keeps a repository's API documentation current, documenting only what changed."""

__version__ = "0.1.0"
