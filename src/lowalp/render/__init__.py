"""Front-end renderings of an :class:`~lowalp.model.Assessment` (text, JSON, HTML)."""
