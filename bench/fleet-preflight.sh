#!/bin/bash
# Preflight on 1, 5 and 20 lab nodes: KubePS (FleetPreparation.PreflightAsync, what Invoke-KubePreflight runs) against
# Ansible ad-hoc running the same probe script, in one run on the same nodes. Results: see bench/results.md.
# Needs root (the lab: network namespaces, its own sshd per node), ansible-core and the .NET SDK.
# Usage: bash bench/fleet-preflight.sh [--nodes 1,5,20] [--runs 15] [--cold-runs 7] [--ansible-runs 5] [--markdown FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Benchmarks -c Release -v q -nologo >&2
exec dotnet tests/Benchmarks/bin/Release/net10.0/KubePS.Benchmarks.dll fleet-preflight "$@"
