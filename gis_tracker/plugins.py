"""A registry of format plugins (importers, exporters), looked up by name.

The plugin modules are imported on the first lookup, not when the package is
imported, so starting the app does not load every format's libraries.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

P = TypeVar("P")


class Registry(Generic[P]):
    """Plugins of one kind by their ``name``, in registration order."""

    def __init__(self, package: str, modules: tuple[str, ...]) -> None:
        self._package = package
        self._modules = modules
        self._plugins: dict[str, P] = {}
        self._loaded = False

    def register(self, plugin: P) -> P:
        """Add ``plugin`` under its ``name`` (called by each plugin module)."""
        self._plugins[plugin.name] = plugin  # type: ignore[attr-defined]
        return plugin

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._modules:
                importlib.import_module(f"{self._package}.{module}")

    def names(self) -> list[str]:
        """Return the registered names in registration order."""
        self._load()
        return list(self._plugins)

    def get(self, name: str) -> P | None:
        """Return the plugin called ``name`` or None."""
        self._load()
        return self._plugins.get(name)

    def __iter__(self) -> Iterator[P]:
        self._load()
        return iter(list(self._plugins.values()))
