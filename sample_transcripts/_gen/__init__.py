"""Phrase banks and helpers for the sample-transcripts generator (standard library only)."""
