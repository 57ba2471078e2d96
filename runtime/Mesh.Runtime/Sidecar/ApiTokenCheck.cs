using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ErrorInfo = Google.Rpc.ErrorInfo;
using Microsoft.AspNetCore.Http;

namespace Mesh.Runtime.Sidecar;

/// <summary>
/// DAPR_API_TOKEN on the sidecar's APIs, as daprd checks it: every call must carry the token in <c>dapr-api-token</c>,
/// which is removed before the call goes on, so neither the runtime nor an app it is proxied to sees it.
/// </summary>
/// <remarks>
/// HTTP (dapr/dapr <c>pkg/api/http/middlewares.go</c>): a missing or wrong header is <c>401</c> with the plain-text body
/// <c>invalid api token</c>, except <c>GET /v1.0/healthz</c> and <c>GET /v1.0/healthz/outbound</c>, which probes use
/// without a token. gRPC (<c>pkg/api/grpc/auth.go</c>): every method, the Dapr API, the workflow protocol and calls
/// proxied by <c>dapr-app-id</c> alike, answers UNAUTHENTICATED "Unauthorized" with a <c>google.rpc.ErrorInfo</c>
/// (reason Unauthorized, domain dapr.io, http.code 401, http.error_message the cause); only the first value counts.
/// daprd's third cause, "missing metadata in request", cannot happen over HTTP/2, where every call has headers.
/// </remarks>
internal static class ApiTokenCheck
{
    /// <summary>The header (and gRPC metadata key) of both tokens.</summary>
    public const string Header = "dapr-api-token";

    /// <summary>Passes an HTTP API call on when it carries the token or is a health probe; answers 401 otherwise.</summary>
    public static async Task HttpAsync(HttpContext context, string token, RequestDelegate next)
    {
        var given = context.Request.Headers[Header].FirstOrDefault();
        if (given != token && !IsHealthProbe(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            await context.Response.WriteAsync("invalid api token\n");
            return;
        }

        context.Request.Headers.Remove(Header);
        await next(context);
    }

    /// <summary>Passes a gRPC call on when its first <c>dapr-api-token</c> is the token; answers UNAUTHENTICATED otherwise.</summary>
    public static async Task GrpcAsync(HttpContext context, string token, RequestDelegate next)
    {
        var values = context.Request.Headers[Header];
        var problem = values.Count == 0 ? "missing api token in request metadata"
            : values[0] != token ? "authentication error: api token mismatch"
            : null;
        if (problem is not null)
        {
            Unauthenticated(context.Response, problem);
            return;
        }

        context.Request.Headers.Remove(Header);
        await next(context);
    }

    private static bool IsHealthProbe(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.Value?.Trim('/') is "v1.0/healthz" or "v1.0/healthz/outbound";

    // A trailers-only gRPC answer, as grpc-go writes a status error: the status, its message and its details.
    private static void Unauthenticated(HttpResponse response, string detail)
    {
        const int code = 16;
        var status = new Google.Rpc.Status
        {
            Code = code,
            Message = "Unauthorized",
            Details =
            {
                Any.Pack(new ErrorInfo
                {
                    Reason = "Unauthorized",
                    Domain = "dapr.io",
                    Metadata = { ["http.code"] = "401", ["http.error_message"] = detail.Length >= 63 ? detail[..63] : detail },
                }),
            },
        };
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.AppendTrailer("grpc-status", code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        response.AppendTrailer("grpc-message", status.Message);
        response.AppendTrailer("grpc-status-details-bin", Convert.ToBase64String(status.ToByteArray()));
    }
}
