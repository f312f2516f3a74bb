"""A reference implementation of how WhatsApp Business charges for messages."""

__version__ = "0.1.0"
