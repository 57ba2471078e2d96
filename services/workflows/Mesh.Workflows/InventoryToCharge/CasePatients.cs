using Dapr.Client;
using Mesh.Contracts.Type.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The patient side of each case, kept out of the saga's input and history (which the workflow engine stores as they
/// are): the intake saves the case's <see cref="PatientLink"/> in the state store, which encrypts it at rest, under a
/// reference derived from the event id; the saga carries only that reference, and the steps that give the patient to
/// inventory or charges, or record the case, read it back.
/// </summary>
public sealed class CasePatients(DaprClient dapr, IOptions<InventoryToChargeOptions> options)
{
    /// <summary>The reference (state key) of an event's patient link.</summary>
    public static string RefOf(string eventId) => $"itc-patient-{eventId}";

    /// <summary>Saves the link under its reference; saving the same event's link again writes the same value.</summary>
    public Task SaveAsync(string reference, PatientLink link, CancellationToken ct) =>
        dapr.SaveStateAsync(options.Value.StateStore, reference, link, cancellationToken: ct);

    /// <summary>The link a case refers to; a missing one fails the step, which the workflow runtime retries.</summary>
    public async Task<PatientLink> GetAsync(string reference, CancellationToken ct) =>
        await dapr.GetStateAsync<PatientLink>(options.Value.StateStore, reference, cancellationToken: ct)
        ?? throw new InvalidOperationException($"the patient link {reference} of the case is missing from the state store");

    /// <summary>The canonical patient reference of a link.</summary>
    public static PatientReference Reference(PatientLink link) => new() { Mrn = link.Mrn, MrnSystem = link.MrnSystem, EncounterId = link.EncounterId };
}
