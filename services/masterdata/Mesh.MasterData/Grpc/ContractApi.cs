using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Contracting.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>mesh.contracting.v1.ContractService: maps requests to the <see cref="ContractBook"/>, which answers every read as of its clock.</summary>
public sealed class ContractApi(ContractBook book) : ContractService.ContractServiceBase
{
    /// <inheritdoc />
    public override Task<Contract> GetContract(GetContractRequest request, ServerCallContext context) =>
        book.GetAsync(request.Name, context.CancellationToken);

    /// <summary>
    /// Lists contracts newest start_time first (then by name); the page token is the last contract's place in that
    /// order, so a page goes on after it even when contracts were added or removed in between.
    /// </summary>
    public override async Task<ListContractsResponse> ListContracts(ListContractsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var after = PageTokens.Decode(request.PageToken, cursor => Cursor.TryParse(cursor, out _));
        var ordered = (await book.ListedAsync(request.Supplier, context.CancellationToken))
            .Where(c => Matches(c, request))
            .Select(c => (Contract: c, Place: Cursor.Of(c)))
            .Where(c => after.Length == 0 || c.Place.CompareTo(Cursor.Parse(after)) > 0)
            .OrderBy(c => c.Place)
            .ToList();
        var page = ordered.Take(size).ToList();
        return new ListContractsResponse
        {
            Contracts = { page.Select(c => c.Contract) },
            NextPageToken = ordered.Count > size ? PageTokens.Encode(page[^1].Place.ToString()) : "",
        };
    }

    /// <inheritdoc />
    public override Task<Contract> CreateContract(CreateContractRequest request, ServerCallContext context) =>
        book.CreateAsync(request.Contract ?? throw ResourceErrors.Invalid("contract is required"), request.ContractId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Contract> UpdateContract(UpdateContractRequest request, ServerCallContext context) =>
        book.UpdateAsync(request.Contract ?? throw ResourceErrors.Invalid("contract is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeleteContract(DeleteContractRequest request, ServerCallContext context)
    {
        await book.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override Task<GetContractPriceResponse> GetContractPrice(GetContractPriceRequest request, ServerCallContext context) =>
        book.PriceAsync(request.Supplier, request.Item, request.Quantity, request.PriceTime, context.CancellationToken);

    private static bool Matches(Contract contract, ListContractsRequest filter) =>
        (filter.State == ContractState.Unspecified || contract.State == filter.State)
        && (filter.Supplier.Length == 0 || contract.Supplier == filter.Supplier)
        && (filter.ContractNumber.Length == 0 || contract.ContractNumber == filter.ContractNumber)
        && (filter.Item.Length == 0 || contract.Prices.Any(p => p.Item == filter.Item));

    // A contract's place in the list: later start first, then name. Its text form "{-ticks}/{name}" is the page cursor.
    private readonly record struct Cursor(long NegatedTicks, string Name) : IComparable<Cursor>
    {
        public static Cursor Of(Contract contract) => new(-contract.StartTime.ToDateTimeOffset().UtcTicks, contract.Name);

        public static Cursor Parse(string text) => TryParse(text, out var cursor) ? cursor : throw new FormatException();

        public static bool TryParse(string text, out Cursor cursor)
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            cursor = default;
            if (slash < 0 || !long.TryParse(text[..slash], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var ticks))
            {
                return false;
            }

            cursor = new Cursor(ticks, text[(slash + 1)..]);
            return true;
        }

        public int CompareTo(Cursor other) =>
            NegatedTicks != other.NegatedTicks ? NegatedTicks.CompareTo(other.NegatedTicks) : string.CompareOrdinal(Name, other.Name);

        public override string ToString() => $"{NegatedTicks.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{Name}";
    }
}
