#!/bin/bash
# Joining 1, 5 and 20 lab workers to a lab control plane KubePS initialized (JoinWorkflow, what Join-KubeNode runs);
# the TLS bootstrap and the wait for Ready are reported apart from the join itself. Results: see bench/results.md.
# Needs root (the lab: network namespaces, its own sshd per node) and the .NET SDK.
# Usage: bash bench/join-workers.sh [--sizes 1,5,20] [--markdown FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/KubePS.LabControlPlane -c Release -v q -nologo >&2
dotnet build tests/Benchmarks -c Release -v q -nologo >&2
exec dotnet tests/Benchmarks/bin/Release/net10.0/KubePS.Benchmarks.dll join-workers "$@"
