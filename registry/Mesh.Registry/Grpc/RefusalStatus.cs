using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Mesh.Registry.Governance;

namespace Mesh.Registry.Grpc;

/// <summary>An incompatible version as AIP-193 error details: FAILED_PRECONDITION with a google.rpc.PreconditionFailure.</summary>
internal static class RefusalStatus
{
    // Enough for any real change; a pathological candidate must not make the status trailer huge.
    private const int MaxDetailedViolations = 100;
    private const int MaxSummarized = 10;

    /// <summary>
    /// The status of a refusal: each violation as buf's rule id with its file:line:column, and a message that
    /// summarizes the first few for clients that print only the message.
    /// </summary>
    public static RpcException Of(IncompatibleVersionException refusal)
    {
        var violations = refusal.Verdict.Violations;
        var failure = new PreconditionFailure();
        failure.Violations.AddRange(violations.Take(MaxDetailedViolations).Select(v => new PreconditionFailure.Types.Violation
        {
            Type = v.Rule,
            Subject = v.StartLine > 0 ? $"{v.Path}:{v.StartLine}:{v.StartColumn}" : v.Path,
            Description = v.Message,
        }));
        var summary = string.Join("; ", violations.Take(MaxSummarized).Select(v =>
            $"{v.Rule} ({v.Kind}{(v.AgainstVersion > 0 ? $" v{v.AgainstVersion}" : "")}) {v.Path}:{v.StartLine}: {v.Message}"))
            + (violations.Count > MaxSummarized ? $"; and {violations.Count - MaxSummarized} more" : "");
        return new Google.Rpc.Status
        {
            Code = (int)Code.FailedPrecondition,
            Message = $"{refusal.Message}: {summary}",
            Details = { Any.Pack(failure) },
        }.ToRpcException();
    }
}
