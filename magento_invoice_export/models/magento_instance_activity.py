"""The instance's responsible user: who gets an activity when a document needs action (issue 23)."""
