using System.Threading.RateLimiting;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Mesh.Gateway.Auditing;
using Mesh.Gateway.RateLimiting;
using Mesh.Gateway.Security;
using Mesh.Gateway.Surface;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mesh.Gateway.Gate;

/// <summary>
/// The partner listener's front door, in front of every endpoint: it authenticates the bearer token before anything
/// else (the body is not read), knows the partner client, checks the method's scopes and the client's rate limit,
/// answers refusals itself in the caller's protocol, and records every call in the audit log. Health and the OpenAPI
/// document are open; gRPC reflection needs a partner token. The admin listener serves only the operators' API.
/// </summary>
public sealed class PartnerGate(
    RequestDelegate next, PartnerSurface surface, IOptions<GatewayOptions> options, RedisTokenBucket limiter, AuditLog audit, AdminListener admin, TimeProvider time, ILogger<PartnerGate> logger)
{
    private const string ReflectionPrefix = "/grpc.reflection.";

    /// <summary>Runs the gate for one request.</summary>
    public async Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        if (admin.Serves(http))
        {
            // Operators and the sidecar reach the admin listener only; nothing of the partner surface is there.
            await (path.StartsWithSegments("/admin") || IsOpen(path) ? next(http) : Refuse(http, new Refusal(StatusCode.NotFound, "not an admin route")));
            return;
        }

        if (IsOpen(path) || path.StartsWithSegments("/admin"))
        {
            await (path.StartsWithSegments("/admin") ? Refuse(http, new Refusal(StatusCode.NotFound, "no such route")) : next(http));
            return;
        }

        var started = time.GetTimestamp();
        var protocol = Refusal.ProtocolOf(http.Request);
        var method = MethodOf(http);
        var (caller, refusal) = await AdmitAsync(http, method);
        try
        {
            if (refusal is not null)
            {
                await refusal.WriteAsync(http, protocol);
                return;
            }

            http.Features.Set(caller);
            if (protocol == CallProtocol.Rest)
            {
                refusal = UnknownQueryParameter(http, method!) ?? await RestAsync(http);
                if (refusal is not null && !http.Response.HasStarted)
                {
                    await refusal.WriteAsync(http, protocol);
                }
            }
            else
            {
                await next(http);
                refusal = UnparsedRequest(http, caller!);
            }
        }
        finally
        {
            var status = refusal?.Code ?? caller?.Outcome ?? OutcomeOf(http, protocol);
            audit.Record(new AuditEntry(
                "", time.GetUtcNow(), caller?.ClientId ?? AuditEntry.Anonymous, method?.FullName ?? path.Value ?? "", protocol.ToString().ToLowerInvariant().Replace("grpcweb", "grpc-web", StringComparison.Ordinal),
                caller?.Resources ?? [], Name(status), refusal?.Message ?? "", (long)time.GetElapsedTime(started).TotalMicroseconds));
        }
    }

    // Runs a REST call with its response held back, so an error raised behind the gate (kept by TranscodedErrors)
    // is written here with its google.rpc details instead.
    private async Task<Refusal?> RestAsync(HttpContext http)
    {
        var body = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = body;
        }

        if (http.Features.Get<Refusal>() is { } error)
        {
            http.Response.Clear();
            return error;
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(body, http.RequestAborted);
        return null;
    }

    // A REST query parameter must name a field of the request (its JSON or proto name, the first segment of a path).
    private static Refusal? UnknownQueryParameter(HttpContext http, PartnerMethod method)
    {
        var fields = method.Descriptor.InputType.Fields.InDeclarationOrder();
        var unknown = http.Request.Query.Keys.FirstOrDefault(key => key.Split('.')[0] is var head && !fields.Any(f => f.Name == head || f.JsonName == head));
        return unknown is null ? null : new Refusal(StatusCode.InvalidArgument, $"{unknown} is not a field of {method.Descriptor.InputType.FullName}");
    }

    // A gRPC request body that did not parse fails inside grpc-dotnet as UNKNOWN ("Exception was thrown by handler");
    // before anything is sent, the gate answers what it is.
    private static Refusal? UnparsedRequest(HttpContext http, PartnerCaller caller)
    {
        if (caller.Outcome is not null || http.Response.HasStarted || http.Response.Headers["grpc-status"] != ((int)StatusCode.Unknown).ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return null;
        }

        var refusal = new Refusal(StatusCode.InvalidArgument, "the request message could not be parsed (malformed, or nested too deeply)");
        http.Response.Headers["grpc-status"] = ((int)refusal.Code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["grpc-message"] = refusal.Message;
        return refusal;
    }

    // The partner RPC the request is routed to: gRPC and gRPC-Web by path, REST by the transcoded endpoint's metadata.
    private PartnerMethod? MethodOf(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc ? surface.Find(grpc.Method.FullName) : null;

    private async Task<(PartnerCaller? Caller, Refusal? Refusal)> AdmitAsync(HttpContext http, PartnerMethod? method)
    {
        var result = await http.AuthenticateAsync(PartnerAuthentication.Scheme);
        if (!result.Succeeded)
        {
            return (null, new Refusal(StatusCode.Unauthenticated, PartnerAuthentication.RefusalOf(result.Failure)));
        }

        var clientId = PartnerCaller.ClientIdOf(result.Principal);
        if (clientId is null || !options.Value.Clients.TryGetValue(clientId, out var client))
        {
            return (null, new Refusal(StatusCode.PermissionDenied, "the token's client is not a partner of this gateway"));
        }

        var caller = new PartnerCaller(clientId, PartnerCaller.ScopesOf(result.Principal), client.Attributes);
        if (method is null)
        {
            // Reflection describes the partner surface only (PartnerReflection), to any partner.
            return http.Request.Path.Value!.StartsWith(ReflectionPrefix, StringComparison.Ordinal)
                ? (caller, null)
                : (caller, http.GetEndpoint() is null && Refusal.ProtocolOf(http.Request) == CallProtocol.Rest
                    ? new Refusal(StatusCode.NotFound, "no partner API at this path")
                    : new Refusal(StatusCode.Unimplemented, "the method is not part of the partner API"));
        }

        if (method.Scopes.FirstOrDefault(s => !caller.Scopes.Contains(s)) is { } missing)
        {
            return (caller, new Refusal(StatusCode.PermissionDenied, $"{method.FullName} needs the scope {missing}"));
        }

        if (method.DataScope is { Required: true } scope && !caller.Attributes.ContainsKey(scope.Attribute))
        {
            return (caller, new Refusal(StatusCode.PermissionDenied, $"{method.FullName} is for partners with a {scope.Attribute}; this client has none"));
        }

        return (caller, await LimitAsync(caller, method, client));
    }

    private async Task<Refusal?> LimitAsync(PartnerCaller caller, PartnerMethod method, GatewayOptions.ClientOptions client)
    {
        var limit = client.MethodRateLimits.GetValueOrDefault(method.FullName) ?? client.RateLimit ?? options.Value.RateLimit;
        try
        {
            using var lease = await limiter.AcquireAsync(new LimitedCall(caller.ClientId, method.FullName, limit));
            return lease.IsAcquired
                ? null
                : new Refusal(
                    StatusCode.ResourceExhausted,
                    $"rate limit of {limit.PermitsPerSecond:0.##}/s (burst {limit.Burst}) on {method.FullName} reached",
                    lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogError(e, "Rate limits could not be checked");
            return new Refusal(StatusCode.Unavailable, "the gateway cannot check rate limits right now; retry later");
        }
    }

    private static bool IsOpen(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments("/grpc.health.v1.Health")
        || path.StartsWithSegments("/openapi");

    private static Task Refuse(HttpContext http, Refusal refusal) => refusal.WriteAsync(http, Refusal.ProtocolOf(http.Request));

    // The status of a call that reached an endpoint but not a forwarder (e.g. a body that did not parse).
    private static StatusCode OutcomeOf(HttpContext http, CallProtocol protocol)
    {
        var response = http.Response;
        var grpcStatus = response.Headers["grpc-status"].ToString() is { Length: > 0 } header ? header
            : http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString();
        return protocol != CallProtocol.Rest && int.TryParse(grpcStatus, out var code) ? (StatusCode)code
            : response.StatusCode switch
            {
                < 400 => StatusCode.OK,
                400 or 413 => StatusCode.InvalidArgument,
                401 => StatusCode.Unauthenticated,
                403 => StatusCode.PermissionDenied,
                404 => StatusCode.NotFound,
                429 => StatusCode.ResourceExhausted,
                _ => StatusCode.Internal,
            };
    }

    private static string Name(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        _ => string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant(),
    };
}
