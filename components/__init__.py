"""The ComponentResources of the stack, one per module (docs/architecture.md lists them)."""
