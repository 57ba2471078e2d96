using Mesh.Contracts.Finance.V1;

namespace Mesh.Finance.Domain;

/// <summary>The ERP's general ledger, where finance posts journal entries under their idempotency keys.</summary>
public interface IErp
{
    /// <summary>Posts <paramref name="entry"/> under its idempotency key; the ERP books one entry per key.</summary>
    Task<ErpOutcome> PostAsync(JournalEntry entry, CancellationToken ct);
}

/// <summary>What became of a posting to the ERP.</summary>
public abstract record ErpOutcome;

/// <summary>The ERP booked the entry (now, or before under the same idempotency key).</summary>
/// <param name="DocumentNumber">The ERP's document number.</param>
/// <param name="PostedAt">When the ERP booked it.</param>
public sealed record ErpPosted(string DocumentNumber, DateTimeOffset PostedAt) : ErpOutcome;

/// <summary>The ERP refused the entry (4xx with its error body); posting it again as it is will not help.</summary>
/// <param name="Code">The ERP's error code, e.g. "IDEMPOTENCY_KEY_REUSED".</param>
/// <param name="Message">The ERP's message.</param>
public sealed record ErpRefused(string Code, string Message) : ErpOutcome;

/// <summary>The ERP did not answer, or kept answering 429/5xx, until the resilience handler gave up; a later retry may land.</summary>
/// <param name="Reason">What the last attempt saw.</param>
public sealed record ErpUnreachable(string Reason) : ErpOutcome;
