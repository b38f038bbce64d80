"""Activities for the instance's responsible user (issue 23)."""
