"""Ingestion commands: ``validate`` (and, until the full demo exists, ``demo``)."""

from __future__ import annotations
