// Test infrastructure every area uses: Repo, TempDir, Tool, CapturingSink, OpenSslCa, EtcdServer.
global using KubePS.Tests.Infrastructure;
