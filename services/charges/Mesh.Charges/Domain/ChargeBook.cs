using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Charges.V1;
using Mesh.Resources;

namespace Mesh.Charges.Domain;

/// <summary>
/// Captures and voids patient charges. A charge is captured once per request id, priced from the charge master, and
/// never edited; each capture and void commits with its event (ChargeCaptured, ChargeVoided) in one state transaction,
/// so a charge is announced if and only if it is saved, whoever asked for it.
/// </summary>
public sealed class ChargeBook(ResourceStore<PatientCharge> charges, IChargeMaster chargeMaster, ContractEvents events, TimeProvider time)
{
    /// <summary>The charges collection.</summary>
    public static readonly ResourceName Charges = new("charges");

    /// <summary>Captures <paramref name="draft"/> (its output fields ignored) under <paramref name="chargeId"/>, or a new id.</summary>
    public async Task<PatientCharge> CaptureAsync(PatientCharge draft, string chargeId, string requestId, CancellationToken ct)
    {
        ChargeRules.Validate(draft);
        ChargeRules.ValidateChargeId(chargeId);
        // A retry is answered with the first charge, whatever master data says about the item by now.
        if (await charges.FindByRequestAsync(requestId, ct) is { } earlier)
        {
            return earlier;
        }

        var id = ResourceName.NewId(chargeId, "charge_id");
        var charge = draft.Clone();
        ChargeRules.Price(charge, await chargeMaster.ItemAsync(charge.Item, ct));
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        charge.Name = Charges.Of(id);
        charge.State = ChargeState.Captured;
        charge.VoidReason = "";
        charge.Reverses = "";
        charge.ReversedBy = "";
        charge.ExternalIds.Clear();
        charge.CreateTime = now;
        charge.UpdateTime = now;
        return await charges.CreateAsync(id, charge, requestId, ct, announce: [charges.Announce(id, ChargeEvents.Captured(events, charge, requestId))]);
    }

    /// <summary>
    /// Voids the charge <paramref name="id"/>: a charge already VOIDED is returned as it is, whatever
    /// <paramref name="etag"/> says (a retried compensation succeeds); ABORTED when the etag is stale.
    /// </summary>
    public async Task<PatientCharge> VoidAsync(string id, string reason, string etag, string requestId, CancellationToken ct)
    {
        ChargeRules.ValidateVoidReason(reason);
        var name = Charges.Of(id);
        var current = await charges.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        // Checked before the etag: a retried void (a compensation whose reply was lost) carries the etag from before it.
        if (current.State == ChargeState.Voided)
        {
            return current;
        }

        if (etag.Length > 0 && etag != current.Etag)
        {
            throw ResourceErrors.Aborted($"{name} changed since etag {etag} (now {current.Etag}); read it again");
        }

        var voided = current.Clone();
        voided.State = ChargeState.Voided;
        voided.VoidReason = reason;
        voided.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        if (await charges.TryReplaceAsync(id, voided, current.Etag, [], ct, [charges.Announce(id, ChargeEvents.Voided(events, voided, requestId))]))
        {
            return await charges.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        }

        // Another writer won the race; if it voided the charge, that is what this call asked for (and announced it).
        return await charges.GetAsync(id, ct) is { State: ChargeState.Voided } after
            ? after
            : throw ResourceErrors.Aborted($"{name} was changed by another writer; read it again");
    }
}
