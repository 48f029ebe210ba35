"""A fleet: image stacks and the pool stacks that take their images, from one manifest (tools/fleet/manifest.py)."""
