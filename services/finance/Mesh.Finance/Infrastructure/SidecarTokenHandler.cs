namespace Mesh.Finance.Infrastructure;

/// <summary>
/// Puts the sidecar's DAPR_API_TOKEN on a request that does not carry it yet. The SDK's InvocationHandler adds the
/// token of the environment and removes the header again after each attempt, so this sits inside it and adds the
/// token on every attempt, retries included.
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
