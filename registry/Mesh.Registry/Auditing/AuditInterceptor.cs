using Grpc.Core.Interceptors;
using Mesh.Registry.Security;
using Mesh.Registry.Storage;

namespace Mesh.Registry.Auditing;

/// <summary>
/// Records every refused write in the audit log: who tried which RPC on which subject, and the status it got.
/// It runs outside <see cref="BearerTokenInterceptor"/>, so role and token refusals are recorded too.
/// </summary>
/// <remarks>
/// Each write call leaves exactly one entry, written by exactly one party:
/// <list type="bullet">
/// <item>A change that is made: its entry goes into the same Lua script as the change (<see cref="RedisRegistryStore"/>),
/// so both commit or neither does.</item>
/// <item>A registration of content that already is a version: the registrar appends one UNCHANGED entry, as the
/// call's last step (nothing changed, so there is nothing to be atomic with).</item>
/// <item>A call that ends in an <see cref="RpcException"/>: this interceptor appends one REFUSED entry. Handlers throw
/// an RpcException only before their audited write: every check runs before the script, and what follows the
/// script (or the UNCHANGED entry) is mapping in memory. So a refused call never has a second entry.</item>
/// <item>A call that ends in any other exception (Redis unreachable, a timeout whose outcome is unknown) was not
/// refused, and this interceptor writes nothing: a change that did commit keeps the one entry its script wrote,
/// one that did not has none.</item>
/// </list>
/// </remarks>
public sealed class AuditInterceptor(RedisRegistryStore store, ILogger<AuditInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (RegistryWrites.TargetOf(request) is not { } target)
        {
            return await continuation(request, context);
        }

        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e)
        {
            var principal = context.UserState.TryGetValue(Caller.UserStateKey, out var caller) ? ((Caller)caller).Principal : AuditRecords.Unauthenticated;
            var entry = AuditRecords.Of(principal, RegistryWrites.ActionOf(context), ResourceNames.SubjectOf(target), 0, AuditRecords.Refused, $"{e.StatusCode}: {e.Status.Detail}");
            try
            {
                await store.AppendAuditAsync(entry);
            }
            catch (Exception failure) when (failure is StackExchange.Redis.RedisException or TimeoutException)
            {
                // The caller still gets the refusal it earned, not the audit log's failure.
                logger.LogError(failure, "The refusal of {Action} could not be written to the audit log", entry.Action);
            }

            throw;
        }
    }
}
