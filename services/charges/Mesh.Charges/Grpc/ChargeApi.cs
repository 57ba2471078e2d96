using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Charges.Grpc;

/// <summary>
/// mesh.charges.v1.ChargeService: patient charges coded and priced from the item's charge master in master data,
/// created once per request id and voided, never edited. Error messages name fields and rules, never patient data.
/// </summary>
public sealed class ChargeApi(ResourceStore<PatientCharge> charges, ItemService.ItemServiceClient items) : ChargeService.ChargeServiceBase
{
    private const int MaxReasonLength = 200;
    private static readonly ResourceName Charges = new("charges");
    private static readonly ResourceName Items = new("items");

    /// <inheritdoc />
    public override async Task<PatientCharge> GetCharge(GetChargeRequest request, ServerCallContext context) =>
        await charges.GetAsync(Charges.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListChargesResponse> ListCharges(ListChargesRequest request, ServerCallContext context)
    {
        if (request.Item.Length > 0)
        {
            Items.IdOf(request.Item, "item");
        }

        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(
            await charges.IdsAsync(ct), request.PageSize, request.PageToken, ids => charges.GetManyAsync(ids, ct),
            charge => (request.State == ChargeState.Unspecified || charge.State == request.State) && (request.Item.Length == 0 || charge.Item == request.Item));
        return new ListChargesResponse { Charges = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<PatientCharge> CreateCharge(CreateChargeRequest request, ServerCallContext context)
    {
        var charge = request.Charge?.Clone() ?? throw ResourceErrors.Invalid("charge is required");
        Validate(charge);
        // ResourceName.NewId would repeat a malformed id, and a careless caller may have built it from an MRN.
        if (request.ChargeId.Length > 0 && !ResourceName.IsValidId(request.ChargeId))
        {
            throw ResourceErrors.Invalid("charge_id must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");
        }

        // A retry is answered with the first charge, whatever master data says about the item by now.
        if (await charges.FindByRequestAsync(request.RequestId, context.CancellationToken) is { } earlier)
        {
            return earlier;
        }

        var id = ResourceName.NewId(request.ChargeId, "charge_id");
        Price(charge, await ReadItemAsync(charge.Item, context.CancellationToken));
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        charge.Name = Charges.Of(id);
        charge.State = ChargeState.Captured;
        charge.VoidReason = "";
        charge.Reverses = "";
        charge.ReversedBy = "";
        charge.ExternalIds.Clear();
        charge.CreateTime = now;
        charge.UpdateTime = now;
        return await charges.CreateAsync(id, charge, request.RequestId, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<PatientCharge> VoidCharge(VoidChargeRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var id = Charges.IdOf(request.Name, "name");
        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            throw ResourceErrors.Invalid("reason is required, a short code such as entered-in-error");
        }

        if (request.Reason.Length > MaxReasonLength)
        {
            throw ResourceErrors.Invalid($"reason must be a short code of at most {MaxReasonLength} characters");
        }

        var current = await charges.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(request.Name);
        // Checked before the etag: a retried void (a compensation whose reply was lost) carries the etag from before it.
        if (current.State == ChargeState.Voided)
        {
            return current;
        }

        if (request.Etag.Length > 0 && request.Etag != current.Etag)
        {
            throw ResourceErrors.Aborted($"{request.Name} changed since etag {request.Etag} (now {current.Etag}); read it again");
        }

        var voided = current.Clone();
        voided.State = ChargeState.Voided;
        voided.VoidReason = request.Reason;
        voided.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        if (await charges.TryReplaceAsync(id, voided, current.Etag, ct))
        {
            return await charges.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(request.Name);
        }

        // Another writer won the race; if it voided the charge, that is what this call asked for.
        return await charges.GetAsync(id, ct) is { State: ChargeState.Voided } after
            ? after
            : throw ResourceErrors.Aborted($"{request.Name} was changed by another writer; read it again");
    }

    private async Task<Item> ReadItemAsync(string name, CancellationToken ct)
    {
        try
        {
            return await items.GetItemAsync(new GetItemRequest { Name = name }, cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw ResourceErrors.FailedPrecondition($"{name} does not exist in master data");
        }
        catch (RpcException e)
        {
            // Transient failures keep their status (UNAVAILABLE, DEADLINE_EXCEEDED) so callers retry them.
            throw new RpcException(new Status(e.StatusCode, $"master data could not read {name}: {e.Status.Detail}"));
        }
    }

    // Codes and price default to the item's charge master entry (a caller may give its own, as the contract allows);
    // the item must be chargeable and the quantity in its billing unit, so the price applies to it.
    private static void Price(PatientCharge charge, Item item)
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

    // Exact decimal product, rounded half to even to cents as the contract's total_amount says; cents are the minor
    // unit of the currencies the mesh bills in (a per-currency ISO 4217 exponent would belong in Mesh.Contracts).
    private static Money Total(Money unitPrice, Quantity quantity)
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

    // Messages name the field and never repeat its value: patient fields are PHI.
    private static void Validate(PatientCharge charge)
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
}
