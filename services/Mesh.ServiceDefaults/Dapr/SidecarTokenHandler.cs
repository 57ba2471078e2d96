namespace Mesh.ServiceDefaults.Dapr;

/// <summary>
/// Puts the sidecar's DAPR_API_TOKEN on a request that does not carry it yet. The SDK's InvocationHandler adds only the
/// token of the process environment (not of IConfiguration, where in-process hosts have it) and removes the header after
/// each attempt, so this sits inside it and adds the token on every attempt, retries included.
/// </summary>
public sealed class SidecarTokenHandler(string? token) : DelegatingHandler
{
    private const string Header = "dapr-api-token";

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(token) && !request.Headers.Contains(Header))
        {
            request.Headers.Add(Header, token);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
