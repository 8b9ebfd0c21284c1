"""workbench: segment, translate, align, review and export UN speeches in the six official languages."""

__version__ = "0.1.0"
