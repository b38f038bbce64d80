"""Placeholder: filled by issue 23 work."""
