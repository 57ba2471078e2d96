using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;

namespace Mesh.Runtime.Tests.Security;

/// <summary>
/// The access control list decides as daprd's does: the cases of dapr/dapr pkg/acl/acl_test.go, on the same policies.
/// </summary>
public sealed class AccessControlListTests
{
    private static readonly AccessControlSpec Spec = new("deny", "abcd",
    [
        new("app1", "allow", "public", "ns1", [new("/op1", ["POST", "GET"], "allow"), new("/op2", ["*"], "deny")]),
        new("app2", "deny", "domain1", "ns2", [new("/op3/a/*", ["PUT", "GET"], "allow"), new("/op4", ["POST"], "allow")]),
        new("app3", null, "domain1", "ns1", [new("/op5", ["POST"], "allow")]),
        new("app4", "deny", "domain1", "ns2",
        [
            new("/op6", [], "allow"), new("/op7/a/b/*", [], "allow"), new("/op7/a/b/c/f", [], "allow"), new("/op7/a/b*", [], "allow"), new("/op7/c/**", [], "allow"),
        ]),
        new("app1", "allow", "public", "ns4", [new("/op6", ["*"], "allow")]),
    ]);

    private static readonly AccessControlList Http = AccessControlList.For(Spec, isHttp: true)!;
    private static readonly AccessControlList Grpc = AccessControlList.For(Spec, isHttp: false)!;

    [Theory]
    [InlineData("appX", "public", "ns1", "op1", "POST", false)] // no policy: the global default
    [InlineData("app1", "private", "ns1", "op1", "POST", false)] // trust domain differs: the global default
    [InlineData("app1", "public", "abcd", "op1", "POST", false)] // namespace differs: the global default
    [InlineData("app1", "public", "ns1", "opX", "POST", true)] // no such operation: the app's default
    [InlineData("app1", "public", "ns1", "Op2", "POST", false)] // HTTP names match in lower case
    [InlineData("app1", "public", "ns4", "op6", "DELETE", true)] // one app id, two namespaces
    [InlineData("app2", "domain1", "ns2", "op4", "PUT", false)] // verb not listed: the app's default
    [InlineData("app3", "domain1", "ns1", "op5", "PUT", false)] // no app default: the global default
    [InlineData("app1", "public", "ns1", "op2", "PUT", false)] // the * verb
    [InlineData("app2", "domain1", "ns2", "op4", "POST", true)] // a listed verb
    [InlineData("app2", "domain1", "ns2", "/op4", "POST", true)] // with its leading slash
    [InlineData("app2", "domain1", "ns2", "op4", null, false)] // no verb: the app's default
    [InlineData("app2", "domain1", "ns2", "/op3/a", "PUT", true)] // /op3/a/* also matches /op3/a
    [InlineData("app2", "domain1", "ns2", "/op3/b/b", "PUT", false)]
    [InlineData("app2", "domain1", "ns2", "/op3/a/b", "PUT", true)]
    public void Check_Http_DecidesAsDaprd(string appId, string trustDomain, string ns, string operation, string? verb, bool allowed)
    {
        Assert.Equal(allowed, Http.Check(new SpiffeId(trustDomain, ns, appId), operation, verb, isHttp: true).Allowed);
    }

    [Theory]
    [InlineData("app2", "/OP4", false)] // gRPC names are case-sensitive
    [InlineData("app2", "op4", true)] // the operation's action, whatever its verbs
    [InlineData("app4", "op6", true)]
    [InlineData("app4", "op7/a/b/c", true)] // * matches one last segment
    [InlineData("app4", "op7/a/b/c/d", false)]
    [InlineData("app4", "op7/a/b/c/f", true)]
    [InlineData("app4", "op7/a/bc", true)] // * inside a segment
    [InlineData("app4", "op7/c/d/e", true)] // ** matches any depth
    public void Check_Grpc_DecidesAsDaprd(string appId, string operation, bool allowed)
    {
        Assert.Equal(allowed, Grpc.Check(new SpiffeId("domain1", "ns2", appId), operation, null, isHttp: false).Allowed);
    }

    [Fact]
    public void Check_NoCallerIdentity_GlobalDefaultWithDaprsMessage()
    {
        var (allowed, denial) = Http.Check(null, "op1", "POST", isHttp: true);

        Assert.False(allowed);
        Assert.Equal("access control policy has denied access to id:  operation: op1 verb: POST", denial);
    }

    [Fact]
    public void Check_Denied_NamesTheSpiffeIdOperationAndVerbNone()
    {
        var (_, denial) = Grpc.Check(new SpiffeId("domain1", "ns2", "app2"), "/OP4", null, isHttp: false);

        Assert.Equal("access control policy has denied access to id: spiffe://domain1/ns/ns2/app2 operation: /OP4 verb: NONE", denial);
    }

    [Fact]
    public void Check_GrpcCallToAnHttpApp_MatchesOnlyLowerCasePatternsAsDaprd()
    {
        // daprd keeps an HTTP app's operation names in lower case; its proxy matches gRPC method names as given.
        var spec = new AccessControlSpec("deny", "public", [new("caller", "deny", "public", "default", [new("/pkg.Svc/Get", [], "allow"), new("/other/**", [], "allow")])]);
        var acl = AccessControlList.For(spec, isHttp: true)!;
        var caller = new SpiffeId("public", "default", "caller");

        Assert.False(acl.Check(caller, "/pkg.Svc/Get", null, isHttp: false).Allowed);
        Assert.True(acl.Check(caller, "/other/x", null, isHttp: false).Allowed);
    }

    [Fact]
    public void For_NoSpec_IsNoListAtAll()
    {
        Assert.Null(AccessControlList.For(null, isHttp: false));
    }
}
