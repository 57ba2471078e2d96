using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.MasterData.Tests;

public sealed class ContractServiceTests(ContractFixture fixture) : IClassFixture<ContractFixture>
{
    private ContractService.ContractServiceClient Contracts => fixture.Contracts;

    private DateTimeOffset Now => fixture.Clock.GetUtcNow();

    private async Task<string> NewSupplierAsync() =>
        (await fixture.Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = new Supplier { DisplayName = "Acme Medical", LegalName = "Acme Medical Supply LLC" } })).Name;

    private async Task<string> NewItemAsync() =>
        (await fixture.Items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = $"Suture {Guid.NewGuid():N}", StockingUnit = "BX" } })).Name;

    // Numbers must differ within a supplier: random ones collided now and then among a test's 30 contracts (ALREADY_EXISTS).
    private static int contractNumbers = 10_000;

    private Contract Agreement(string supplier, params ContractPrice[] prices) => new()
    {
        Supplier = supplier,
        ContractNumber = $"MS{Interlocked.Increment(ref contractNumbers)}",
        Title = "Wound closure 2030-2033",
        StartTime = Timestamp.FromDateTimeOffset(Now.AddDays(-1)),
        Prices = { prices },
    };

    private static ContractPrice Line(string item, decimal price, string unit = "BX", decimal? minimum = null) => new()
    {
        Item = item,
        Price = Money.Of("USD", price),
        Unit = unit,
        MinimumQuantity = minimum is { } m ? Quantity.Of(m, unit) : null,
    };

    private async Task<Contract> CreateAsync(Contract contract, ContractState state = ContractState.Unspecified, string requestId = "") =>
        await Contracts.CreateContractAsync(new CreateContractRequest { Contract = new Contract(contract) { State = state }, RequestId = requestId });

    private Task<Contract> MoveAsync(Contract contract, ContractState state) =>
        Contracts.UpdateContractAsync(new UpdateContractRequest { Contract = new Contract { Name = contract.Name, State = state }, UpdateMask = new FieldMask { Paths = { "state" } } }).ResponseAsync;

    private Task<GetContractPriceResponse> PriceAsync(string supplier, string item, decimal quantity, string unit = "BX", DateTimeOffset? at = null) =>
        Contracts.GetContractPriceAsync(new GetContractPriceRequest
        {
            Supplier = supplier,
            Item = item,
            Quantity = Quantity.Of(quantity, unit),
            PriceTime = at is { } t ? Timestamp.FromDateTimeOffset(t) : null,
        }).ResponseAsync;

    private static async Task<RpcException> RefusedAsync<T>(Func<Task<T>> call) => await Assert.ThrowsAsync<RpcException>(call);

    [Fact]
    public async Task CreateGetUpdateDelete_ThroughTheSidecar_ChecksETags()
    {
        var (supplier, item) = (await NewSupplierAsync(), await NewItemAsync());

        var created = await CreateAsync(Agreement(supplier, Line(item, 12.5m)));
        var read = await Contracts.GetContractAsync(new GetContractRequest { Name = created.Name });
        var updated = await Contracts.UpdateContractAsync(new UpdateContractRequest
        {
            Contract = new Contract { Name = created.Name, Etag = read.Etag, Title = "Wound closure", GpoName = "Vizient" },
            UpdateMask = new FieldMask { Paths = { "title", "gpo_name" } },
        });
        var stale = await RefusedAsync(() => Contracts.UpdateContractAsync(new UpdateContractRequest
        {
            Contract = new Contract { Name = created.Name, Etag = read.Etag, Title = "lost update" },
            UpdateMask = new FieldMask { Paths = { "title" } },
        }).ResponseAsync);
        var supplierChange = await RefusedAsync(() => Contracts.UpdateContractAsync(new UpdateContractRequest
        {
            Contract = new Contract { Name = created.Name, Supplier = supplier },
            UpdateMask = new FieldMask { Paths = { "supplier" } },
        }).ResponseAsync);
        var staleDelete = await RefusedAsync(() => Contracts.DeleteContractAsync(new DeleteContractRequest { Name = created.Name, Etag = read.Etag }).ResponseAsync);
        await Contracts.DeleteContractAsync(new DeleteContractRequest { Name = created.Name, Etag = updated.Etag });
        var gone = await RefusedAsync(() => Contracts.GetContractAsync(new GetContractRequest { Name = created.Name }).ResponseAsync);

        Assert.StartsWith("contracts/", created.Name, StringComparison.Ordinal);
        Assert.Equal(ContractState.Draft, created.State);
        Assert.Equal(Timestamp.FromDateTimeOffset(Now), created.CreateTime);
        Assert.Equal(("Wound closure", "Vizient", 12.5m), (updated.Title, updated.GpoName, updated.Prices.Single().Price.ToDecimal()));
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, supplierChange.StatusCode);
        Assert.Contains("'supplier'", supplierChange.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Aborted, staleDelete.StatusCode);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Create_SameRequestIdTwice_CreatesOnce()
    {
        var supplier = await NewSupplierAsync();
        var contract = Agreement(supplier, Line(await NewItemAsync(), 3m));
        var requestId = Guid.NewGuid().ToString();

        var first = await CreateAsync(contract, requestId: requestId);
        var retry = await CreateAsync(contract, requestId: requestId);
        var listed = await Contracts.ListContractsAsync(new ListContractsRequest { Supplier = supplier });

        Assert.Equal((first.Name, first.Etag), (retry.Name, retry.Etag));
        Assert.Equal(first.Name, Assert.Single(listed.Contracts).Name);
    }

    [Fact]
    public async Task ListContracts_BySupplier_PagesOnlyItsContractsNewestFirstAmongOthers()
    {
        var (supplier, other) = (await NewSupplierAsync(), await NewSupplierAsync());
        await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => CreateAsync(Agreement(other))));
        var ours = new List<Contract>();
        for (var days = 1; days <= 3; days++)
        {
            ours.Add(await CreateAsync(new Contract(Agreement(supplier)) { StartTime = Timestamp.FromDateTimeOffset(Now.AddDays(-days)) }));
        }

        var (listed, pages) = await Mesh.Contracts.Pages.AllAsync<Contract>(async token =>
        {
            var page = await Contracts.ListContractsAsync(new ListContractsRequest { Supplier = supplier, PageSize = 2, PageToken = token });
            return (page.Contracts, page.NextPageToken);
        });
        var malformed = await RefusedAsync(() => Contracts.ListContractsAsync(new ListContractsRequest { Supplier = "acme" }).ResponseAsync);

        Assert.Equal(ours.Select(c => c.Name), listed.Select(c => c.Name));
        Assert.Equal(2, pages);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Contains("supplier", malformed.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ContractNumberTakenWithTheSupplier_IsAlreadyExists_WithAnotherSupplierIsAccepted()
    {
        var (supplier, other) = (await NewSupplierAsync(), await NewSupplierAsync());
        var first = await CreateAsync(Agreement(supplier));

        var duplicate = await RefusedAsync(() => CreateAsync(new Contract(Agreement(supplier)) { ContractNumber = first.ContractNumber }));
        var elsewhere = await CreateAsync(new Contract(Agreement(other)) { ContractNumber = first.ContractNumber });

        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        Assert.Equal($"contract.contract_number is already used with {supplier} by {first.Name}", duplicate.Status.Detail);
        Assert.Equal(first.ContractNumber, elsewhere.ContractNumber);
    }

    public static TheoryData<string, string> InvalidContracts => new()
    {
        { "contract_number", "contract.contract_number is required" },
        { "title", "contract.title is required" },
        { "start_time", "contract.start_time is required" },
        { "end_time", "contract.end_time must be after contract.start_time" },
        { "supplier", "contract.supplier 'acme' is not a suppliers name" },
        { "price", "contract.prices[1].price is required" },
        { "unit", "contract.prices[1].unit is required" },
        { "minimum_quantity", "contract.prices[1].minimum_quantity must be positive and in the line's unit" },
        { "repeated line", "contract.prices has 2 lines for" },
        { "state", "contract.state must be DRAFT or ACTIVE" },
    };

    [Theory]
    [MemberData(nameof(InvalidContracts))]
    public async Task Create_InvalidField_IsInvalidArgumentNamingIt(string broken, string message)
    {
        var item = "items/any";
        var contract = Agreement("suppliers/any", Line(item, 1m), Line(item, 2m, minimum: 10));
        var state = ContractState.Active;
        switch (broken)
        {
            case "contract_number": contract.ContractNumber = ""; break;
            case "title": contract.Title = " "; break;
            case "start_time": contract.StartTime = null; break;
            case "end_time": contract.EndTime = contract.StartTime; break;
            case "supplier": contract.Supplier = "acme"; break;
            case "price": contract.Prices[1].Price = Money.Of("USD", 0m); break;
            case "unit": contract.Prices[1].Unit = ""; break;
            case "minimum_quantity": contract.Prices[1].MinimumQuantity = Quantity.Of(10, "EA"); break;
            case "repeated line": contract.Prices[1].MinimumQuantity = null; break;
            case "state": state = ContractState.Terminated; break;
        }

        var refused = await RefusedAsync(() => CreateAsync(contract, state));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith(message, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_UnknownSupplierOrItem_IsNotFoundNamingTheField()
    {
        var (supplier, item) = (await NewSupplierAsync(), await NewItemAsync());

        var noSupplier = await RefusedAsync(() => CreateAsync(Agreement("suppliers/nobody", Line(item, 1m))));
        var noItem = await RefusedAsync(() => CreateAsync(Agreement(supplier, Line(item, 1m), Line("items/nothing", 1m))));

        Assert.Equal((StatusCode.NotFound, "contract.supplier suppliers/nobody does not exist"), (noSupplier.StatusCode, noSupplier.Status.Detail));
        Assert.Equal((StatusCode.NotFound, "contract.prices[1].item items/nothing does not exist"), (noItem.StatusCode, noItem.Status.Detail));
    }

    [Fact]
    public async Task Lifecycle_DraftToActiveToTerminated_OtherMovesAndDeletesAreFailedPrecondition()
    {
        var contract = await CreateAsync(Agreement(await NewSupplierAsync()));

        var active = await MoveAsync(contract, ContractState.Active);
        var backToDraft = await RefusedAsync(() => MoveAsync(active, ContractState.Draft));
        var deleteActive = await RefusedAsync(() => Contracts.DeleteContractAsync(new DeleteContractRequest { Name = active.Name }).ResponseAsync);
        var terminated = await MoveAsync(active, ContractState.Terminated);
        var revived = await RefusedAsync(() => MoveAsync(terminated, ContractState.Active));

        Assert.Equal((ContractState.Active, ContractState.Terminated), (active.State, terminated.State));
        Assert.Equal((StatusCode.FailedPrecondition, $"{contract.Name} cannot go from ACTIVE to DRAFT; only DRAFT to ACTIVE and ACTIVE to TERMINATED"), (backToDraft.StatusCode, backToDraft.Status.Detail));
        Assert.Equal(StatusCode.FailedPrecondition, deleteActive.StatusCode);
        Assert.Contains("only a DRAFT contract is deleted", deleteActive.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((StatusCode.FailedPrecondition, $"{contract.Name} is TERMINATED, which is final; it changes no more"), (revived.StatusCode, revived.Status.Detail));
    }

    [Fact]
    public async Task ActiveContract_WhenTheClockPassesItsEndTime_IsExpired_PricesOnlyBefore_AndIsFinal()
    {
        var (supplier, item) = (await NewSupplierAsync(), await NewItemAsync());
        var end = Now.AddDays(30);
        var contract = await CreateAsync(new Contract(Agreement(supplier, Line(item, 7m))) { EndTime = Timestamp.FromDateTimeOffset(end) }, ContractState.Active);
        var pricedWhileInForce = await PriceAsync(supplier, item, 1);

        fixture.Clock.Advance(TimeSpan.FromDays(30));
        var expired = await Contracts.GetContractAsync(new GetContractRequest { Name = contract.Name });
        var listed = await Contracts.ListContractsAsync(new ListContractsRequest { Supplier = supplier, State = ContractState.Expired });
        var priceNow = await RefusedAsync(() => PriceAsync(supplier, item, 1));
        var priceBeforeEnd = await PriceAsync(supplier, item, 1, at: end.AddTicks(-10));
        var amend = await RefusedAsync(() => Contracts.UpdateContractAsync(new UpdateContractRequest
        {
            Contract = new Contract { Name = contract.Name, Title = "extended" },
            UpdateMask = new FieldMask { Paths = { "title" } },
        }).ResponseAsync);

        Assert.Equal((contract.Name, 7m), (pricedWhileInForce.Contract, pricedWhileInForce.ContractPrice.Price.ToDecimal()));
        Assert.Equal((ContractState.Expired, Timestamp.FromDateTimeOffset(end)), (expired.State, expired.UpdateTime));
        Assert.Equal(contract.Name, Assert.Single(listed.Contracts).Name);
        Assert.Equal(StatusCode.NotFound, priceNow.StatusCode);
        Assert.Equal(contract.Name, priceBeforeEnd.Contract);
        Assert.Equal((StatusCode.FailedPrecondition, $"{contract.Name} is EXPIRED, which is final; it changes no more"), (amend.StatusCode, amend.Status.Detail));
    }

    [Fact]
    public async Task GetContractPrice_LowestLineOfTheSuppliersActiveContractsInForce_InTheUnit_FromItsMinimumQuantity()
    {
        var (supplier, other, item) = (await NewSupplierAsync(), await NewSupplierAsync(), await NewItemAsync());
        var tiered = await CreateAsync(Agreement(supplier, Line(item, 10m), Line(item, 8m, minimum: 10), Line(item, 0.9m, "EA")), ContractState.Active);
        var cheaper = await CreateAsync(Agreement(supplier, Line(item, 9m)), ContractState.Active);
        await CreateAsync(Agreement(supplier, Line(item, 5m)));
        await CreateAsync(new Contract(Agreement(supplier, Line(item, 4m))) { StartTime = Timestamp.FromDateTimeOffset(Now.AddDays(10)) }, ContractState.Active);
        await CreateAsync(Agreement(other, Line(item, 3m)), ContractState.Active);

        var one = await PriceAsync(supplier, item, 1);
        var ten = await PriceAsync(supplier, item, 10);
        var each = await PriceAsync(supplier, item, 12, "EA");
        var later = await PriceAsync(supplier, item, 1, at: Now.AddDays(11));
        var cases = await RefusedAsync(() => PriceAsync(supplier, item, 1, "CS"));

        Assert.Equal((cheaper.Name, cheaper.ContractNumber, 9m, "BX"), (one.Contract, one.ContractNumber, one.ContractPrice.Price.ToDecimal(), one.ContractPrice.Unit));
        Assert.Equal((tiered.Name, 8m), (ten.Contract, ten.ContractPrice.Price.ToDecimal()));
        Assert.Equal((tiered.Name, 0.9m), (each.Contract, each.ContractPrice.Price.ToDecimal()));
        Assert.Equal(4m, later.ContractPrice.Price.ToDecimal());
        Assert.Equal(StatusCode.NotFound, cases.StatusCode);
        Assert.Contains("in CS", cases.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetContractPrice_BadOrUnknownArguments_NameTheField()
    {
        var (supplier, item) = (await NewSupplierAsync(), await NewItemAsync());

        var noQuantity = await RefusedAsync(() => Contracts.GetContractPriceAsync(new GetContractPriceRequest { Supplier = supplier, Item = item }).ResponseAsync);
        var badSupplier = await RefusedAsync(() => PriceAsync("acme", item, 1));
        var unknownSupplier = await RefusedAsync(() => PriceAsync("suppliers/nobody", item, 1));
        var unknownItem = await RefusedAsync(() => PriceAsync(supplier, "items/nothing", 1));

        Assert.Equal(StatusCode.InvalidArgument, noQuantity.StatusCode);
        Assert.StartsWith("quantity is required", noQuantity.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, badSupplier.StatusCode);
        Assert.StartsWith("supplier 'acme'", badSupplier.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((StatusCode.NotFound, "supplier suppliers/nobody does not exist"), (unknownSupplier.StatusCode, unknownSupplier.Status.Detail));
        Assert.Equal((StatusCode.NotFound, "item items/nothing does not exist"), (unknownItem.StatusCode, unknownItem.Status.Detail));
    }

    [Fact]
    public async Task ListContracts_NewestStartFirst_InPages_FilteredByItem()
    {
        var (supplier, item) = (await NewSupplierAsync(), await NewItemAsync());
        var oldest = await CreateAsync(new Contract(Agreement(supplier, Line(item, 1m))) { StartTime = Timestamp.FromDateTimeOffset(Now.AddDays(-300)) });
        var newest = await CreateAsync(new Contract(Agreement(supplier)) { StartTime = Timestamp.FromDateTimeOffset(Now.AddDays(-2)) });
        var middle = await CreateAsync(new Contract(Agreement(supplier, Line(item, 1m))) { StartTime = Timestamp.FromDateTimeOffset(Now.AddDays(-100)) });

        var (all, pages) = await Pages.AllAsync<Contract>(async token =>
        {
            var page = await Contracts.ListContractsAsync(new ListContractsRequest { Supplier = supplier, PageSize = 1, PageToken = token });
            return (page.Contracts, page.NextPageToken);
        });
        var pricingItem = await Contracts.ListContractsAsync(new ListContractsRequest { Supplier = supplier, Item = item });
        var forged = await RefusedAsync(() => Contracts.ListContractsAsync(new ListContractsRequest { PageToken = "bm90IGEgY3Vyc29y" }).ResponseAsync);

        Assert.Equal([newest.Name, middle.Name, oldest.Name], all.Select(c => c.Name));
        Assert.Equal(3, pages);
        Assert.Equal([middle.Name, oldest.Name], pricingItem.Contracts.Select(c => c.Name));
        Assert.Equal(StatusCode.InvalidArgument, forged.StatusCode);
    }
}
