namespace Mesh.Gateway.Gate;

/// <summary>
/// The admin listener: Kestrel endpoint "Admin", the gateway's Dapr app port, where operators (through the mesh)
/// read the audit log. Requests are told apart by the local port they arrived on, which a client cannot forge.
/// </summary>
public sealed class AdminListener(IConfiguration configuration)
{
    private readonly int port = configuration["Kestrel:Endpoints:Admin:Url"] is { Length: > 0 } url ? new Uri(url.Replace("*", "localhost", StringComparison.Ordinal)).Port : -1;

    /// <summary>True when the request came in on the admin listener.</summary>
    public bool Serves(HttpContext http) => http.Connection.LocalPort == port;
}
