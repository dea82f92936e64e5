"""Adapters turn input formats into the core :class:`~lowalp.model.Case`."""
