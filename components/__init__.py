"""The four ComponentResources of the stack, one per module."""
