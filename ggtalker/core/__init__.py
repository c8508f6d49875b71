"""Shared building blocks: the clip data model and its IO, registries, audio IO."""
