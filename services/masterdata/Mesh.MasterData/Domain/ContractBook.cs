using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;
using Quantity = Mesh.Contracts.Type.V1.Quantity;

namespace Mesh.MasterData.Domain;

/// <summary>
/// Supplier pricing contracts, kept beside the suppliers and items they price so that every supplier and item they
/// name is checked in this app's own store (NOT_FOUND naming the field): each contract number claimed within its
/// supplier (ALREADY_EXISTS naming the holder), states moved as <see cref="ContractRules"/> allows, and the price of an
/// order answered from the supplier's contracts in force.
/// </summary>
/// <param name="numbers">The claims of supplier and contract number.</param>
public sealed class ContractBook(
    ResourceStore<Contract> contracts, ResourceStore<Supplier> suppliers, ResourceStore<Item> items, UniqueKeys numbers, TimeProvider time)
{
    /// <summary>The group (<see cref="ResourceStore{T}.InGroupAsync"/>) of one supplier's contracts, by supplier id.</summary>
    public const string SupplierGroup = "supplier";

    /// <summary>Creates <paramref name="draft"/> under <paramref name="contractId"/>, or a new id; DRAFT unless it asks to be ACTIVE.</summary>
    public async Task<Contract> CreateAsync(Contract draft, string contractId, string requestId, CancellationToken ct)
    {
        if (await contracts.FindByRequestAsync(requestId, ct) is { } earlier)
        {
            return Now(earlier);
        }

        var contract = draft.Clone();
        ContractRules.Validate(contract);
        contract.State = contract.State switch
        {
            ContractState.Unspecified or ContractState.Draft => ContractState.Draft,
            ContractState.Active => ContractState.Active,
            _ => throw ResourceErrors.Invalid("contract.state must be DRAFT or ACTIVE when the contract is created"),
        };
        CheckCanBeActive(contract, "contract");
        await CheckReferencesAsync(contract, ct);
        var id = ResourceName.NewId(contractId, "contract_id");
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        contract.Name = ContractRules.Contracts.Of(id);
        contract.CreateTime = now;
        contract.UpdateTime = now;
        // The contract joins its supplier's group in the same transaction (a contract's supplier never changes), so a price
        // lookup reads only that supplier's contracts.
        return Now(await contracts.CreateAsync(id, contract, requestId, ct, async token =>
            [await ClaimNumberAsync(id, contract, token), await contracts.JoinGroupAsync(SupplierGroup, SupplierRules.Suppliers.IdOf(contract.Supplier, "contract.supplier"), id, token)]));
    }

    /// <summary>The contract <paramref name="name"/> as it stands now; NOT_FOUND when it does not exist.</summary>
    public async Task<Contract> GetAsync(string name, CancellationToken ct) =>
        Now(await contracts.GetAsync(ContractRules.Contracts.IdOf(name, "name"), ct) ?? throw ResourceErrors.NotFound(name));

    /// <summary>
    /// The contracts a list reads, as they stand now: only the group of <paramref name="supplier"/> when the list asks
    /// for one supplier (INVALID_ARGUMENT naming the field when it is not a supplier's name). Without a supplier it reads
    /// every contract, because the list's order (newest start_time first) is one no key of the store keeps; contracts
    /// are few (agreements with suppliers, not transactions), and each page still answers only its own.
    /// </summary>
    public async Task<List<Contract>> ListedAsync(string supplier, CancellationToken ct) =>
        [.. (supplier.Length == 0 ? await contracts.AllAsync(ct) : await contracts.InGroupAsync(SupplierGroup, SupplierRules.Suppliers.IdOf(supplier, "supplier"), ct)).Select(Now)];

    /// <summary>
    /// Applies the fields of <paramref name="change"/> named by <paramref name="mask"/>: FAILED_PRECONDITION for a state
    /// change the contract's lifecycle does not allow, and for any change to an EXPIRED or TERMINATED contract.
    /// </summary>
    public async Task<Contract> UpdateAsync(Contract change, FieldMask? mask, CancellationToken ct)
    {
        var id = ContractRules.Contracts.IdOf(change.Name, "contract.name");
        var updated = await StandardMethods.UpdateAsync(contracts, id, change, mask, ContractRules.UpdatablePaths, (stored, updated) =>
        {
            ContractRules.CheckTransition(change.Name, Now(stored).State, updated.State);
            ContractRules.Validate(updated);
            if (stored.State != ContractState.Active)
            {
                CheckCanBeActive(updated, "contract");
            }

            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        }, ct, async (updated, token) =>
        {
            await CheckReferencesAsync(updated, token);
            return [await ClaimNumberAsync(id, updated, token)];
        });
        return Now(updated);
    }

    /// <summary>Deletes the DRAFT contract <paramref name="name"/>; one that was in force is terminated instead (FAILED_PRECONDITION).</summary>
    public async Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var current = await GetAsync(name, ct);
        if (current.State != ContractState.Draft)
        {
            throw ResourceErrors.FailedPrecondition($"{name} is {ContractRules.StateName(current.State)}; only a DRAFT contract is deleted, one that was in force is TERMINATED instead");
        }

        await StandardMethods.DeleteAsync(contracts, ContractRules.Contracts.IdOf(name, "name"), name, etag, ct);
    }

    /// <summary>
    /// The lowest price among the lines that apply to <paramref name="quantity"/> of <paramref name="item"/> from
    /// <paramref name="supplier"/> at <paramref name="priceTime"/> (now when null), with its contract (ties go to the
    /// first contract by name, so the answer is stable); NOT_FOUND for an unknown supplier or item, or when no line applies.
    /// </summary>
    public async Task<GetContractPriceResponse> PriceAsync(string supplier, string item, Quantity? quantity, Timestamp? priceTime, CancellationToken ct)
    {
        SupplierRules.Suppliers.IdOf(supplier, "supplier");
        ItemRules.Items.IdOf(item, "item");
        if (quantity is null || quantity.Unit.Length == 0 || quantity.ToDecimal() <= 0)
        {
            throw ResourceErrors.Invalid("quantity is required (a positive quantity with the unit the price must be for, e.g. 1 BX)");
        }

        await ExistsAsync(suppliers, SupplierRules.Suppliers, supplier, "supplier", ct);
        await ExistsAsync(items, ItemRules.Items, item, "item", ct);
        var at = priceTime?.ToDateTimeOffset() ?? time.GetUtcNow();
        var best = (await contracts.InGroupAsync(SupplierGroup, SupplierRules.Suppliers.IdOf(supplier, "supplier"), ct))
            .SelectMany(c => ContractRules.Applicable(c, item, quantity, at).Select(line => (Contract: c, Line: line)))
            .OrderBy(o => o.Line.Price.ToDecimal())
            .ThenBy(o => o.Contract.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best.Contract is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no ACTIVE contract of {supplier} in force at price_time prices {item} in {quantity.Unit} for the quantity"));
        }

        return new GetContractPriceResponse
        {
            Contract = best.Contract.Name,
            ContractNumber = best.Contract.ContractNumber,
            ContractPrice = best.Line,
            EndTime = best.Contract.EndTime,
        };
    }

    private Contract Now(Contract stored) => ContractRules.AsOf(stored, time.GetUtcNow());

    // A contract made ACTIVE must still be in force: one past its end_time would be EXPIRED the moment it is saved.
    private void CheckCanBeActive(Contract contract, string field)
    {
        if (contract.State == ContractState.Active && contract.EndTime is { } end && end.ToDateTimeOffset() <= time.GetUtcNow())
        {
            throw ResourceErrors.FailedPrecondition($"{field}.end_time has passed; a contract that ended cannot be made ACTIVE");
        }
    }

    private async Task CheckReferencesAsync(Contract contract, CancellationToken ct)
    {
        await ExistsAsync(suppliers, SupplierRules.Suppliers, contract.Supplier, "contract.supplier", ct);
        var known = (await items.GetManyAsync([.. contract.Prices.Select(p => ItemRules.Items.IdOf(p.Item, "contract.prices.item")).Distinct()], ct))
            .Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < contract.Prices.Count; i++)
        {
            if (!known.Contains(contract.Prices[i].Item))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"contract.prices[{i}].item {contract.Prices[i].Item} does not exist"));
            }
        }
    }

    private static async Task ExistsAsync<T>(ResourceStore<T> store, ResourceName collection, string name, string field, CancellationToken ct)
        where T : class, Google.Protobuf.IMessage<T>, new()
    {
        if (await store.GetAsync(collection.IdOf(name, field), ct) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"{field} {name} does not exist"));
        }
    }

    private Task<StateTransactionRequest> ClaimNumberAsync(string id, Contract contract, CancellationToken ct) =>
        numbers.ClaimAsync(
            [contract.Supplier, contract.ContractNumber],
            id,
            async holder => await contracts.GetAsync(holder, ct) is { } held && held.Supplier == contract.Supplier && held.ContractNumber == contract.ContractNumber,
            holder => new RpcException(new Status(StatusCode.AlreadyExists, $"contract.contract_number is already used with {contract.Supplier} by {ContractRules.Contracts.Of(holder)}")),
            ct);
}
