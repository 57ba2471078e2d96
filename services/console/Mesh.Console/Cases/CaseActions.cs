using Grpc.Core;
using Mesh.Console.Auditing;
using Mesh.Console.Operators;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Console.Cases;

/// <summary>What an operator can do to a case on the exception queue.</summary>
public enum CaseAction
{
    /// <summary>Run the case again (ReplayException).</summary>
    Replay,

    /// <summary>Take the case off the queue (DismissException).</summary>
    Dismiss,
}

/// <summary>
/// Operator actions on cases: each is sent to the workflows app with the operator's token and a request id (so a
/// resubmitted confirmation is the same request), and recorded in the audit trail with its outcome, refusals too.
/// </summary>
public sealed class CaseActions(CaseService.CaseServiceClient cases, OperatorAudit audit, TimeProvider time)
{
    /// <summary>The action's name in the audit trail and in URLs.</summary>
    public static string NameOf(CaseAction action) => action.ToString().ToLowerInvariant();

    /// <summary>
    /// Performs <paramref name="action"/> on <paramref name="caseName"/> for <paramref name="by"/>; returns null when
    /// it was done, else the workflows app's refusal (its status and message, which never hold patient data).
    /// </summary>
    public async Task<string?> PerformAsync(CaseAction action, string caseName, string requestId, Operator by, string? accessToken, CancellationToken ct)
    {
        var headers = new Metadata();
        if (accessToken is not null)
        {
            headers.Add("authorization", $"Bearer {accessToken}");
        }

        string? refusal = null;
        try
        {
            _ = action switch
            {
                CaseAction.Replay => (object)await cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = caseName, RequestId = requestId }, headers, cancellationToken: ct),
                _ => await cases.DismissExceptionAsync(new DismissExceptionRequest { Name = caseName, RequestId = requestId }, headers, cancellationToken: ct),
            };
        }
        catch (RpcException e) when (e.StatusCode is not StatusCode.Cancelled)
        {
            refusal = $"{e.StatusCode}: {e.Status.Detail}";
        }

        await audit.RecordAsync(new AuditEntry(by.Name, NameOf(action), caseName, requestId, refusal is null ? "OK" : refusal.Split(':')[0], time.GetUtcNow()), ct);
        return refusal;
    }
}
