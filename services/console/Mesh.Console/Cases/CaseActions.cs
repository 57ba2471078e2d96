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

    /// <summary>Release a held supplier invoice of a procure-to-pay case (ReleaseHold).</summary>
    ReleaseHold,
}

/// <summary>What releasing a hold says: why the variances are accepted, and which held invoice (empty: the only one).</summary>
/// <param name="Comment">The operator's reason, recorded by procurement.</param>
/// <param name="SupplierInvoice">"supplierInvoices/{id}", one of the case's held invoices; empty when it holds one.</param>
public sealed record HoldRelease(string Comment, string SupplierInvoice);

/// <summary>
/// Operator actions on cases: each is sent to the workflows app with the operator's token and a request id (so a
/// resubmitted confirmation is the same request), and recorded in the audit trail with its outcome, refusals too.
/// </summary>
public sealed class CaseActions(CaseService.CaseServiceClient cases, OperatorAudit audit, TimeProvider time)
{
    /// <summary>The action's name in the audit trail and in URLs: "replay", "dismiss", "release-hold".</summary>
    public static string NameOf(CaseAction action) => action == CaseAction.ReleaseHold ? "release-hold" : action.ToString().ToLowerInvariant();

    /// <summary>The action named <paramref name="name"/> (<see cref="NameOf"/>); null for none.</summary>
    public static CaseAction? Named(string name) =>
        Enum.GetValues<CaseAction>().Cast<CaseAction?>().FirstOrDefault(a => NameOf(a!.Value) == name);

    /// <summary>
    /// Performs <paramref name="action"/> on <paramref name="caseName"/> for <paramref name="by"/> (a hold release
    /// with <paramref name="release"/>); returns null when it was done, else the workflows app's refusal (its status
    /// and message, which never hold patient data).
    /// </summary>
    public async Task<string?> PerformAsync(CaseAction action, string caseName, string requestId, Operator by, string? accessToken, HoldRelease? release, CancellationToken ct)
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
                CaseAction.ReleaseHold => await cases.ReleaseHoldAsync(
                    new ReleaseHoldRequest { Name = caseName, RequestId = requestId, Comment = release?.Comment ?? "", SupplierInvoice = release?.SupplierInvoice ?? "" }, headers, cancellationToken: ct),
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
