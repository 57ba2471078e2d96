using System.Security.Cryptography;
using System.Text;
using Grpc.Core.Interceptors;
using Mesh.Registry.Storage;
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
/// UNAUTHENTICATED without a known token, PERMISSION_DENIED without the role.
/// </summary>
public sealed class BearerTokenInterceptor(IOptionsMonitor<RegistryOptions> options, RedisRegistryStore store) : Interceptor
{
    private static readonly HashSet<string> WriteMethods = new(StringComparer.Ordinal)
    {
        nameof(RegistryService.RegistryServiceBase.CreateSchemaVersion),
        nameof(RegistryService.RegistryServiceBase.DeleteSchemaVersion),
        nameof(RegistryService.RegistryServiceBase.UpdateSubject),
        nameof(RegistryService.RegistryServiceBase.UpdateRegistryConfig),
    };

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        var isWrite = WriteMethods.Contains(method);
        Caller caller;
        try
        {
            caller = Authenticate(context);
            if (isWrite && !caller.Roles.Contains(Caller.ArchitectRole))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"{method} needs the '{Caller.ArchitectRole}' role; '{caller.Principal}' does not have it"));
            }
        }
        catch (RpcException e) when (isWrite)
        {
            // A refused write attempt is a governance fact: record who tried what.
            var principal = e.StatusCode == StatusCode.PermissionDenied ? TryPrincipal(context) : "(unauthenticated)";
            await store.AppendAuditAsync(new AuditEntry { Principal = principal, Action = method, Verdict = "REFUSED", Detail = $"{e.StatusCode}: {e.Status.Detail}" });
            throw;
        }

        context.UserState[Caller.UserStateKey] = caller;
        return await continuation(request, context);
    }

    private string TryPrincipal(ServerCallContext context)
    {
        try
        {
            return Authenticate(context).Principal;
        }
        catch (RpcException)
        {
            return "(unauthenticated)";
        }
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
