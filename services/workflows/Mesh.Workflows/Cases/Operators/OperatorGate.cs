using Dapr.Client;
using Grpc.Core;
using Mesh.DevTokens;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.Cases.Operators;

/// <summary>One operator action on a case, as the audit trail records it.</summary>
/// <param name="Subject">The operator: the <c>sub</c> of their token.</param>
/// <param name="Action">replay, dismiss or release-hold.</param>
/// <param name="Case">The case's resource name.</param>
/// <param name="RequestId">The request's idempotency key; empty when none was given.</param>
/// <param name="Outcome">OK, or the gRPC status the action ended with.</param>
/// <param name="Time">When the action ended.</param>
public sealed record OperatorAction(string Subject, string Action, string Case, string RequestId, string Outcome, DateTimeOffset Time);

/// <summary>
/// The operator endpoints' gate: the call must carry <c>authorization: Bearer</c> with a token of a trusted issuer for
/// this app's audience (UNAUTHENTICATED otherwise) holding the scope <c>workflows.operate</c> (PERMISSION_DENIED
/// otherwise), on top of the sidecar's APP_API_TOKEN and access control, which say only which app called. Each action
/// let through is audited with the token's subject and its outcome.
/// </summary>
public sealed class OperatorGate(DaprClient dapr, IOptions<OperatorOptions> options, IOptions<InventoryToChargeOptions> flows, TimeProvider time)
{
    /// <summary>The authentication scheme of operator tokens.</summary>
    public const string Scheme = "Operator";

    /// <summary>The scope an operator token needs for replay, dismiss and release-hold.</summary>
    public const string OperateScope = "workflows.operate";

    /// <summary>
    /// Runs <paramref name="action"/> for the call's operator (<paramref name="perform"/> is given their subject) and
    /// audits it, refusals by the action included.
    /// </summary>
    public async Task<T> PerformAsync<T>(ServerCallContext context, string action, string caseName, string requestId, Func<string, Task<T>> perform)
    {
        var subject = await OperatorOfAsync(context);
        var outcome = "OK";
        try
        {
            return await perform(subject);
        }
        catch (RpcException e)
        {
            outcome = e.StatusCode.ToString();
            throw;
        }
        finally
        {
            await dapr.PublishEventAsync(flows.Value.PubSub, options.Value.AuditTopic, new OperatorAction(subject, action, caseName, requestId, outcome, time.GetUtcNow()), CancellationToken.None);
        }
    }

    private static async Task<string> OperatorOfAsync(ServerCallContext context)
    {
        var result = await context.GetHttpContext().AuthenticateAsync(Scheme);
        if (!result.Succeeded)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, IssuerTrust.RefusalOf(result.Failure, "the workflows app")));
        }

        var principal = result.Principal;
        var scopes = principal.FindAll("scope").SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (!scopes.Contains(OperateScope, StringComparer.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"the bearer token lacks the scope {OperateScope}"));
        }

        return principal.FindFirst("sub")?.Value is { Length: > 0 } subject
            ? subject
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token names no operator (sub)"));
    }
}
