using Mesh.Runtime.Sidecar.Invocation;

namespace Mesh.Runtime.Tests.Security;

/// <summary>Invoked methods are normalized as daprd's NormalizeMethod does, before access control and dispatch.</summary>
public sealed class MethodNamesTests
{
    [Theory]
    [InlineData("v1/items", "v1/items")]
    [InlineData("/pkg.Svc/Get", "/pkg.Svc/Get")]
    [InlineData("a/../admin", "admin")]
    [InlineData("../../admin", "admin")]
    [InlineData("a//b/./c/", "a/b/c")]
    [InlineData("/../x", "/x")]
    [InlineData("..", "")]
    [InlineData("", "")]
    public void Normalize_CleansThePathAsGo(string method, string expected)
    {
        Assert.Equal((expected, (string?)null), MethodNames.Normalize(method));
    }

    [Theory]
    [InlineData("a?b", "method contains forbidden character: \"a?b\"")]
    [InlineData("a#b", "method contains forbidden character: \"a#b\"")]
    [InlineData("a\u0001b", "method contains control character at position 1: \"a\u0001b\"")]
    public void Normalize_ForbiddenCharacter_IsRefused(string method, string problem)
    {
        Assert.Equal(((string?)null, problem), MethodNames.Normalize(method));
    }
}
