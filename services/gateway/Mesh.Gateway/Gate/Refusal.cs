using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Mesh.Gateway.Gate;

/// <summary>The protocol a partner call came in with.</summary>
public enum CallProtocol
{
    /// <summary>gRPC over HTTP/2.</summary>
    Grpc,

    /// <summary>gRPC-Web (binary or text).</summary>
    GrpcWeb,

    /// <summary>REST/JSON, transcoded.</summary>
    Rest,
}

/// <summary>A call the gate answers itself, before it reaches a service: its status, a message, and details.</summary>
/// <param name="Code">The gRPC status.</param>
/// <param name="Message">What went wrong, quoting nothing the caller sent.</param>
/// <param name="RetryAfter">When a rate-limited caller may try again.</param>
/// <param name="Details">The google.rpc details (e.g. a BadRequest) of an error raised behind the gate.</param>
public sealed record Refusal(StatusCode Code, string Message, TimeSpan? RetryAfter = null, IReadOnlyList<Any>? Details = null)
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithTypeRegistry(TypeRegistry.FromFiles(ErrorDetailsReflection.Descriptor)));

    /// <summary>The protocol of a request, from its content type.</summary>
    public static CallProtocol ProtocolOf(Microsoft.AspNetCore.Http.HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase) ? CallProtocol.GrpcWeb
        : request.ContentType is { } grpc && grpc.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) ? CallProtocol.Grpc
        : CallProtocol.Rest;

    /// <summary>
    /// Writes the refusal as the protocol expects: gRPC and gRPC-Web get a trailers-only response (grpc-status,
    /// grpc-message, grpc-status-details-bin with a google.rpc.Status); REST gets the HTTP status of the code
    /// (401, 403, 429 with Retry-After, ...) and the google.rpc.Status as JSON, as JSON transcoding writes errors.
    /// </summary>
    public async Task WriteAsync(HttpContext http, CallProtocol protocol)
    {
        var status = new Google.Rpc.Status { Code = (int)Code, Message = Message, Details = { Details ?? [] } };
        if (RetryAfter is { } wait)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(wait) }));
        }

        var response = http.Response;
        if (Code == StatusCode.Unauthenticated)
        {
            response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        }

        if (protocol == CallProtocol.Rest)
        {
            response.StatusCode = HttpStatusOf(Code);
            if (RetryAfter is { } retry)
            {
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            response.ContentType = "application/json; charset=utf-8";
            await response.WriteAsync(Json.Format(status));
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = protocol == CallProtocol.GrpcWeb ? http.Request.ContentType : "application/grpc";
        response.Headers["grpc-status"] = ((int)Code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(Message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray()).TrimEnd('=');
        await response.CompleteAsync();
    }

    /// <summary>The HTTP status Google's API design maps a gRPC code to.</summary>
    public static int HttpStatusOf(StatusCode code) => code switch
    {
        StatusCode.OK => 200,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Cancelled => 499,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };

    // grpc-message is percent-encoded UTF-8 outside printable ASCII (and '%' itself), per the gRPC HTTP/2 protocol.
    private static string PercentEncode(string message)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            builder.Append(b is >= 0x20 and <= 0x7E and not (byte)'%' ? ((char)b).ToString() : $"%{b:X2}");
        }

        return builder.ToString();
    }
}
