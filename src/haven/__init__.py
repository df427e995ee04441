"""Haven: appointments for public-service field offices, with an accountable disclosure channel."""

__version__ = "0.1.0"
