using Mesh.Contracts.Charges.V1;
using Mesh.Resources;

namespace Mesh.Charges.Domain;

/// <summary>
/// The events a charge announces. Their ids derive from the charge ("charges/{id}.captured"), and the consumption event
/// the charge was captured from (its source_event_id) is their correlation. A capture is caused by that event (as the
/// contract says; by the request when there is none), a void by the void request.
/// </summary>
public static class ChargeEvents
{
    /// <summary>ChargeCaptured for a charge as it is created.</summary>
    public static ChargeCaptured Captured(ContractEvents events, PatientCharge charge, string requestId) => new()
    {
        Context = events.Context($"{charge.Name}.captured", charge.CreateTime.ToDateTimeOffset(), FirstOf(charge.SourceEventId, requestId), charge.SourceEventId),
        Charge = charge.Name,
        Patient = charge.Patient,
        Item = charge.Item,
        ChargeCode = charge.ChargeCode,
        Quantity = charge.Quantity,
        Amount = charge.TotalAmount,
    };

    /// <summary>ChargeVoided for a charge as it is voided.</summary>
    public static ChargeVoided Voided(ContractEvents events, PatientCharge charge, string requestId) => new()
    {
        Context = events.Context($"{charge.Name}.voided", charge.UpdateTime.ToDateTimeOffset(), FirstOf(requestId, charge.SourceEventId), charge.SourceEventId),
        Charge = charge.Name,
        Patient = charge.Patient,
        Item = charge.Item,
        ChargeCode = charge.ChargeCode,
        Quantity = charge.Quantity,
        Amount = charge.TotalAmount,
        Reason = charge.VoidReason,
        ReversedBy = charge.ReversedBy,
    };

    private static string FirstOf(string first, string second) => first.Length > 0 ? first : second;
}
