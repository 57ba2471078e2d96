using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Workflows.ProcureToPay.Activities;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>
/// The contract price of a requisition line, from master data's contracts (mesh.contracting.v1): the lowest price of
/// the supplier's ACTIVE contracts in force that price the item in the line's unit for its quantity. A line is refused
/// with a reason naming it and the rule when a contract prices the item only in another unit
/// (<c>contract_unit_mismatch</c>: converting units needs a factor the mesh does not hold), or when its estimate is
/// further from the contract price than <see cref="ProcureToPayOptions.ContractPriceTolerancePercent"/>
/// (<c>contract_price_variance</c>). Otherwise the order gets the contract's price, so the three-way match later holds
/// the invoice to it.
/// </summary>
public sealed class ContractPricing(ContractService.ContractServiceClient contracts, IOptions<ProcureToPayOptions> options, TimeProvider time)
{
    /// <summary>
    /// The contract price of <paramref name="line"/> from <paramref name="supplier"/> now, none for off-contract buying, or
    /// why the line is refused; <paramref name="at"/> names the line in the reason, e.g. "lines[2]".
    /// </summary>
    public async Task<ContractQuote> PriceAsync(string supplier, RequisitionLine line, string at)
    {
        var price = await Lookup.FindAsync(() => contracts.GetContractPriceAsync(new GetContractPriceRequest { Supplier = supplier, Item = line.Item, Quantity = line.Quantity }).ResponseAsync);
        if (price is null)
        {
            return await OnlyInOtherUnitsAsync(supplier, line) is { } other
                ? ContractQuote.Refused("contract_unit_mismatch", $"{at}.quantity is in {line.Quantity.Unit}, {other.Name} prices {line.Item} only in {string.Join(", ", other.Prices.Where(p => p.Item == line.Item).Select(p => p.Unit).Distinct())}")
                : new ContractQuote(null, null);
        }

        var tolerance = options.Value.ContractPriceTolerancePercent;
        if (line.EstimatedUnitPrice is { } estimate
            && (estimate.CurrencyCode != price.ContractPrice.Price.CurrencyCode
                || Math.Abs(estimate.ToDecimal() - price.ContractPrice.Price.ToDecimal()) > price.ContractPrice.Price.ToDecimal() * tolerance / 100m))
        {
            return ContractQuote.Refused("contract_price_variance", $"{at}.estimated_unit_price differs from the price of {price.Contract} by more than the {tolerance}% tolerance");
        }

        return new ContractQuote(price, null);
    }

    // The supplier's contract in force that prices the item, though in no line of the requisition's unit; null when none does.
    private async Task<Contract?> OnlyInOtherUnitsAsync(string supplier, RequisitionLine line)
    {
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        var active = await contracts.ListContractsAsync(new ListContractsRequest { Supplier = supplier, Item = line.Item, State = ContractState.Active, PageSize = 1000 });
        return active.Contracts.FirstOrDefault(c => c.StartTime <= now && c.Prices.Where(p => p.Item == line.Item).All(p => p.Unit != line.Quantity.Unit));
    }
}

/// <summary>A contract price (null for off-contract buying) or, when the line is refused, the reason and detail.</summary>
public sealed record ContractQuote(GetContractPriceResponse? Price, ContractRefusal? Refusal)
{
    /// <summary>A refusal with its reason code and a detail naming the line and the rule.</summary>
    public static ContractQuote Refused(string reason, string detail) => new(null, new ContractRefusal(reason, detail));
}

/// <summary>Why a line cannot be bought under the supplier's contract.</summary>
public sealed record ContractRefusal(string Reason, string Detail);
