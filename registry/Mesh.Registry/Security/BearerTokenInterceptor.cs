using System.Security.Cryptography;
using System.Text;
using Grpc.Core.Interceptors;
using Mesh.Registry.Auditing;
using Microsoft.Extensions.Options;

namespace Mesh.Registry.Security;

/// <summary>The authenticated caller of the current call.</summary>
public sealed record Caller(string Principal, IReadOnlySet<string> Roles)
{
    /// <summary>The role that may change contracts and settings.</summary>
    public const string ArchitectRole = "architect";

    /// <summary>The key under which the caller is kept in <see cref="ServerCallContext.UserState"/>.</summary>
    public const string UserStateKey = "mesh.caller";

    /// <summary>The caller of a call that passed the interceptor.</summary>
    public static Caller Of(ServerCallContext context) => (Caller)context.UserState[UserStateKey];
}

/// <summary>
/// Authenticates every registry call with a bearer token and requires the architect role for writes:
/// UNAUTHENTICATED without a known token, PERMISSION_DENIED without the role. The caller is known from the
/// token on, so a write refused for want of the role is audited under its principal.
/// </summary>
public sealed class BearerTokenInterceptor(IOptionsMonitor<RegistryOptions> options) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var caller = Authenticate(context);
        context.UserState[Caller.UserStateKey] = caller;
        if (RegistryWrites.TargetOf(request) is not null && !caller.Roles.Contains(Caller.ArchitectRole))
        {
            throw new RpcException(new Status(
                StatusCode.PermissionDenied, $"{RegistryWrites.ActionOf(context)} needs the '{Caller.ArchitectRole}' role; '{caller.Principal}' does not have it"));
        }

        return continuation(request, context);
    }

    private Caller Authenticate(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing 'authorization: Bearer <token>' metadata"));
        }

        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        // Constant-time comparison, so response timing does not reveal how much of a token matched.
        var match = options.CurrentValue.Auth.Tokens.FirstOrDefault(t =>
            t.Token.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(t.Token), presented));
        return match is null
            ? throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token is not known to this registry"))
            : new Caller(match.Principal, match.Roles.ToHashSet(StringComparer.Ordinal));
    }
}
