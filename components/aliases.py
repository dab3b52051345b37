"""Where a resource was declared before it moved to another component, for its `aliases`.

A resource's URN is made of its parent's type and its own name: declared under another parent or
name, it is a new resource to the engine, which would create it (CREATE DATABASE on a name that
exists fails) and delete, or for a retained one forget, the old one. An alias naming the old
parent and name makes `pulumi up` update it in place instead
(https://www.pulumi.com/docs/iac/concepts/options/aliases/). tests/test_urns.py checks that every
URN a stack held before a move is still declared or aliased.
"""

from __future__ import annotations

import pulumi


def moved_from(component_type: str, component_name: str, name: str) -> pulumi.Alias:
    """The resource was `name`, a child of the top-level component `component_name` of type
    `component_type`, in this stack."""
    return pulumi.Alias(name=name, parent=pulumi.create_urn(component_name, component_type))
