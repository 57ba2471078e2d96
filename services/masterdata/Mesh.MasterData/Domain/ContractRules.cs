using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Contracting.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// What makes a contract valid, how its state may move, and which of its lines price an order. States follow the
/// proto: DRAFT → ACTIVE → TERMINATED by update, ACTIVE → EXPIRED when its end_time passes (the service's clock decides,
/// see <see cref="AsOf"/>); EXPIRED and TERMINATED are final.
/// </summary>
public static class ContractRules
{
    /// <summary>The contracts collection.</summary>
    public static readonly ResourceName Contracts = new("contracts");

    /// <summary>The fields an update may change (the proto's list): not supplier, whose contract it stays.</summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "contract_number", "title", "start_time", "end_time", "state", "gpo_name", "prices", "external_ids",
    };

    /// <summary>INVALID_ARGUMENT naming the field unless the contract is complete and consistent on its own.</summary>
    public static void Validate(Contract contract)
    {
        SupplierRules.Suppliers.IdOf(contract.Supplier, "contract.supplier");
        Require(contract.ContractNumber, "contract.contract_number", "the number printed on the agreement, e.g. MS01234");
        Require(contract.Title, "contract.title", "e.g. Wound closure 2025-2028");
        if (contract.StartTime is null)
        {
            throw ResourceErrors.Invalid("contract.start_time is required");
        }

        if (contract.EndTime is not null && contract.EndTime <= contract.StartTime)
        {
            throw ResourceErrors.Invalid("contract.end_time must be after contract.start_time");
        }

        for (var i = 0; i < contract.Prices.Count; i++)
        {
            ValidatePrice(contract.Prices[i], $"contract.prices[{i}]");
        }

        if (contract.Prices.GroupBy(p => (p.Item, p.Unit, Minimum(p))).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw ResourceErrors.Invalid($"contract.prices has {repeated.Count()} lines for {repeated.Key.Item} in {repeated.Key.Unit} from the same minimum_quantity; at most one per item, unit and minimum quantity");
        }
    }

    /// <summary>
    /// The contract as it stands at <paramref name="now"/>: an ACTIVE contract whose end_time has passed is EXPIRED,
    /// changed at its end_time. Expiry is read off the clock rather than written by a timer, so no contract is ever
    /// seen ACTIVE past its end and no background job has to run for it.
    /// </summary>
    public static Contract AsOf(Contract stored, DateTimeOffset now)
    {
        if (stored.State != ContractState.Active || stored.EndTime is null || stored.EndTime.ToDateTimeOffset() > now)
        {
            return stored;
        }

        var expired = stored.Clone();
        expired.State = ContractState.Expired;
        expired.UpdateTime = stored.EndTime;
        return expired;
    }

    /// <summary>
    /// FAILED_PRECONDITION unless the update may take the contract from <paramref name="from"/> (as of now) to
    /// <paramref name="to"/>: DRAFT to ACTIVE, ACTIVE to TERMINATED, or staying put; a final contract changes no more.
    /// </summary>
    public static void CheckTransition(string name, ContractState from, ContractState to)
    {
        if (from is ContractState.Expired or ContractState.Terminated)
        {
            throw ResourceErrors.FailedPrecondition($"{name} is {StateName(from)}, which is final; it changes no more");
        }

        if (from != to && !(from == ContractState.Draft && to == ContractState.Active) && !(from == ContractState.Active && to == ContractState.Terminated))
        {
            throw ResourceErrors.FailedPrecondition($"{name} cannot go from {StateName(from)} to {StateName(to)}; only DRAFT to ACTIVE and ACTIVE to TERMINATED");
        }
    }

    /// <summary>
    /// The lines of <paramref name="contract"/> that price <paramref name="quantity"/> of <paramref name="item"/> at
    /// <paramref name="at"/>: the contract is ACTIVE and in force then (start inclusive, end exclusive), each line is
    /// for the item in the quantity's unit, and its minimum quantity, if any, is at most the quantity.
    /// </summary>
    public static IEnumerable<ContractPrice> Applicable(Contract contract, string item, Mesh.Contracts.Type.V1.Quantity quantity, DateTimeOffset at) =>
        contract.State == ContractState.Active
        && contract.StartTime.ToDateTimeOffset() <= at
        && (contract.EndTime is null || at < contract.EndTime.ToDateTimeOffset())
            ? contract.Prices.Where(p => p.Item == item && p.Unit == quantity.Unit && Minimum(p) <= quantity.ToDecimal())
            : [];

    /// <summary>The name of a state as the proto spells it without its prefix, e.g. "ACTIVE".</summary>
    public static string StateName(ContractState state) => state.ToString().ToUpperInvariant();

    private static void ValidatePrice(ContractPrice line, string at)
    {
        ItemRules.Items.IdOf(line.Item, $"{at}.item");
        if (line.Price is null || line.Price.ToDecimal() <= 0 || line.Price.CurrencyCode.Length == 0)
        {
            throw ResourceErrors.Invalid($"{at}.price is required (a positive price with its currency)");
        }

        Require(line.Unit, $"{at}.unit", "the unit the price is for, e.g. BX");
        if (line.MinimumQuantity is { } minimum
            && (minimum.ToDecimal() <= 0 || (minimum.Unit.Length > 0 && minimum.Unit != line.Unit)))
        {
            throw ResourceErrors.Invalid($"{at}.minimum_quantity must be positive and in the line's unit");
        }
    }

    private static decimal Minimum(ContractPrice line) => line.MinimumQuantity?.ToDecimal() ?? 0m;

    private static void Require(string value, string field, string hint)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw ResourceErrors.Invalid($"{field} is required ({hint})");
        }
    }
}
