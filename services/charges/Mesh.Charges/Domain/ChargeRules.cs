using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Charges.Domain;

/// <summary>
/// What makes a patient charge valid and how it is priced from the item's charge master. Messages name the field and
/// the rule and never repeat a value: patient fields are PHI.
/// </summary>
public static class ChargeRules
{
    /// <summary>The longest void reason: a short code, never free text that could quote patient data.</summary>
    public const int MaxReasonLength = 200;

    private static readonly ResourceName Items = new("items");

    /// <summary>INVALID_ARGUMENT naming the field unless the charge to capture is complete.</summary>
    public static void Validate(PatientCharge charge)
    {
        if (charge.Patient is null)
        {
            throw ResourceErrors.Invalid("charge.patient is required");
        }

        if (string.IsNullOrWhiteSpace(charge.Patient.Mrn))
        {
            throw ResourceErrors.Invalid("charge.patient.mrn is required");
        }

        if (string.IsNullOrWhiteSpace(charge.Patient.EncounterId))
        {
            throw ResourceErrors.Invalid("charge.patient.encounter_id is required");
        }

        if (charge.Item.Length == 0)
        {
            throw ResourceErrors.Invalid("charge.item is required");
        }

        Items.IdOf(charge.Item, "charge.item");
        if (charge.Quantity is null)
        {
            throw ResourceErrors.Invalid("charge.quantity is required");
        }

        if (charge.Quantity.ToDecimal() <= 0)
        {
            throw ResourceErrors.Invalid("charge.quantity must be positive");
        }

        if (string.IsNullOrWhiteSpace(charge.Quantity.Unit))
        {
            throw ResourceErrors.Invalid("charge.quantity.unit is required, the item's billing unit (e.g. EA)");
        }

        if (charge.ServiceTime is null)
        {
            throw ResourceErrors.Invalid("charge.service_time is required");
        }

        if (charge.UnitPrice is { } price && (price.CurrencyCode.Length == 0 || price.ToDecimal() <= 0))
        {
            throw ResourceErrors.Invalid("charge.unit_price must be positive and have a currency_code when it is set");
        }
    }

    /// <summary>
    /// INVALID_ARGUMENT for a malformed charge id, without repeating it: a careless caller may have built it from an
    /// MRN, and <see cref="ResourceName.NewId"/> would quote it.
    /// </summary>
    public static void ValidateChargeId(string chargeId)
    {
        if (chargeId.Length > 0 && !ResourceName.IsValidId(chargeId))
        {
            throw ResourceErrors.Invalid("charge_id must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");
        }
    }

    /// <summary>INVALID_ARGUMENT unless a void carries a short reason code.</summary>
    public static void ValidateVoidReason(string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw ResourceErrors.Invalid("reason is required, a short code such as entered-in-error");
        }

        if (reason.Length > MaxReasonLength)
        {
            throw ResourceErrors.Invalid($"reason must be a short code of at most {MaxReasonLength} characters");
        }
    }

    /// <summary>
    /// Codes and prices <paramref name="charge"/> from <paramref name="item"/>'s charge master entry, keeping what the
    /// caller gave (as the contract allows): FAILED_PRECONDITION unless the item is chargeable, the quantity is in its
    /// billing unit and a price is known.
    /// </summary>
    public static void Price(PatientCharge charge, Item item)
    {
        if (!item.Chargeable)
        {
            throw ResourceErrors.FailedPrecondition($"{item.Name} is not chargeable in master data; only chargeable items are charged to patients");
        }

        var billingUnit = item.BillingUnit.Length > 0 ? item.BillingUnit : item.StockingUnit;
        if (charge.Quantity.Unit != billingUnit)
        {
            throw ResourceErrors.FailedPrecondition($"charge.quantity.unit '{charge.Quantity.Unit}' is not the billing unit '{billingUnit}' of {item.Name}");
        }

        if (charge.UnitPrice is null)
        {
            // Master data refuses chargeable items without a price now; items stored before that rule may lack one.
            if (item.ChargePrice is not { CurrencyCode.Length: > 0 } price || price.ToDecimal() <= 0)
            {
                throw ResourceErrors.FailedPrecondition($"{item.Name} has no positive charge_price in master data; a chargeable item needs a price to be charged");
            }

            charge.UnitPrice = price;
        }

        charge.ChargeCode = charge.ChargeCode.Length > 0 ? charge.ChargeCode : item.ChargeCode;
        charge.HcpcsCode = charge.HcpcsCode.Length > 0 ? charge.HcpcsCode : item.HcpcsCode;
        charge.RevenueCode = charge.RevenueCode.Length > 0 ? charge.RevenueCode : item.RevenueCode;
        charge.TotalAmount = Total(charge.UnitPrice, charge.Quantity);
    }

    /// <summary>
    /// The exact product, rounded half to even to cents as the contract's total_amount says; cents are the minor unit
    /// of the currencies the mesh bills in. INVALID_ARGUMENT when the quantity is too large to price.
    /// </summary>
    public static Money Total(Money unitPrice, Quantity quantity)
    {
        try
        {
            return Money.Of(unitPrice.CurrencyCode, Math.Round(unitPrice.ToDecimal() * quantity.ToDecimal(), 2, MidpointRounding.ToEven));
        }
        catch (OverflowException)
        {
            throw ResourceErrors.Invalid("charge.quantity is too large to price");
        }
    }
}
