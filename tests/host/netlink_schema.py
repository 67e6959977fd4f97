#!/usr/bin/env python3
"""tests/host/netlink-spec.sh, step 1: netlink_schema.py SCHEMA SPEC validates the
netlink spec against a kernel's genetlink schema."""
import sys, yaml, jsonschema
schema, spec = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
jsonschema.validate(spec, schema)
print(f"spec valid against {sys.argv[1]}")
