#!/usr/bin/env python3
"""Writes the protobuf field table the lab API server uses to read request bodies that kubectl >= 1.32 sends as
application/vnd.kubernetes.protobuf (typed clients: create namespace/configmap/..., drain's evictions, delete options).

The table is the wire contract of the Kubernetes API types (message, field number, name, type). It is taken from the
gzipped FileDescriptorProtos that every Go program built with k8s.io/api registers, here those inside kubectl:

    tools/extract-proto-schema.py /usr/lib/google-cloud-sdk/bin/kubectl.1.32 > ApiServer/ProtoSchema.txt

Output lines:  <message> <number> <jsonName> <type> <label> [<typeName>]   and   <message> map-entry
"""
import re, sys, zlib

PACKAGES = {
    "k8s.io.apimachinery.pkg.apis.meta.v1", "k8s.io.apimachinery.pkg.runtime", "k8s.io.apimachinery.pkg.util.intstr",
    "k8s.io.apimachinery.pkg.api.resource", "k8s.io.api.core.v1", "k8s.io.api.apps.v1", "k8s.io.api.rbac.v1",
    "k8s.io.api.certificates.v1", "k8s.io.api.coordination.v1", "k8s.io.api.policy.v1", "k8s.io.api.authorization.v1",
    "k8s.io.api.authentication.v1",
}

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i

def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0: v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wt == 1: v = b[i:i + 8]; i += 8
        elif wt == 5: v = b[i:i + 4]; i += 4
        else: raise ValueError("wire type %d" % wt)
        yield num, v

TYPES = {1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool", 9: "string",
         11: "message", 12: "bytes", 13: "uint32", 14: "enum", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64"}
LABELS = {1: "optional", 2: "required", 3: "repeated"}

def message(b, prefix, out):
    name = None; flist = []; nested = []; map_entry = False
    for num, v in fields(b):
        if num == 1: name = v.decode()
        elif num == 2: flist.append(v)
        elif num == 3: nested.append(v)
        elif num == 7:
            for n2, v2 in fields(v):
                if n2 == 7 and v2 == 1: map_entry = True
    full = prefix + "." + name
    if map_entry: out.append(f"{full} map-entry")
    for f in flist:
        d = {}
        for num, v in fields(f): d[num] = v
        fname = d[1].decode(); number = d[3]; label = LABELS[d.get(4, 1)]; typ = TYPES[d[5]]
        json = d[10].decode() if 10 in d else fname
        tn = d[6].decode().lstrip(".") if 6 in d else ""
        out.append(f"{full} {number} {json} {typ} {label}" + (f" {tn}" if tn else ""))
    for n in nested: message(n, full, out)

data = open(sys.argv[1], "rb").read()
lines = []
seen = set()
for m in re.finditer(rb"\x1f\x8b\x08\x00\x00", data):
    try: raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[m.start():m.start() + 4000000])
    except Exception: continue
    try: top = list(fields(raw))
    except Exception: continue
    pkg = next((v.decode() for n, v in top if n == 2 and isinstance(v, bytes)), "")
    if pkg not in PACKAGES or pkg in seen: continue
    seen.add(pkg)
    for n, v in top:
        if n == 4: message(v, pkg, lines)
missing = PACKAGES - seen
if missing: sys.exit("descriptors not found for: " + ", ".join(sorted(missing)))
print("# Kubernetes API protobuf fields, extracted from " + sys.argv[1].split("/")[-1] + " by tools/extract-proto-schema.py")
for l in sorted(lines): print(l)
