"""Bulk actions on the worklist (issue 23)."""
