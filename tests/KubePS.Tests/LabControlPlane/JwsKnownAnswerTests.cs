using Xunit;
using KubePS.LabControlPlane.ControllerManager;

namespace KubePS.Tests.LabControlPlane;

/// <summary>The bootstrap signer's JWS against the vectors in Kubernetes' own tests
/// (staging/src/k8s.io/cluster-bootstrap/token/jws/jws_test.go).</summary>
public sealed class JwsKnownAnswerTests
{
    const string Content = "Hello from the other side. I must have called a thousand times.";
    const string Secret = "my voice is my passcode";
    const string Id = "joshua";

    [Fact]
    public void Detached_signature_matches_the_Kubernetes_vector() =>
        Assert.Equal("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8", Jws.Detached(Content, Id, Secret));

    [Fact]
    public void Detached_signature_of_empty_content_matches_the_Kubernetes_vector() =>
        Assert.Equal("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk", Jws.Detached("", Id, Secret));

    [Fact]
    public void Detached_signature_with_empty_secret_matches_the_Kubernetes_vector() =>
        Assert.Equal("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8", Jws.Detached(Content, Id, ""));
}
