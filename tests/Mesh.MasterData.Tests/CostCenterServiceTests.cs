using Mesh.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;

namespace Mesh.MasterData.Tests;

public sealed class CostCenterServiceTests(MasterDataFixture fixture) : IClassFixture<MasterDataFixture>
{
    private CostCenterService.CostCenterServiceClient CostCenters => fixture.CostCenters;

    // Each test books in a company of its own, so codes and list filters see only its cost centers.
    private static string NewCompany() => $"co-{Guid.NewGuid():N}"[..10];

    private static CostCenter Surgery(string company, string code = "4010") => new()
    {
        Code = code,
        DisplayName = "Surgical Services - Main OR",
        CompanyCode = company,
        Department = "Perioperative Services",
    };

    private async Task<CostCenter> CreateAsync(CostCenter costCenter, string id = "", string requestId = "") =>
        await CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest { CostCenter = costCenter, CostCenterId = id, RequestId = requestId });

    private async Task<RpcException> RefusedAsync<T>(Func<AsyncUnaryCall<T>> call) => await Assert.ThrowsAsync<RpcException>(() => call().ResponseAsync);

    private async Task<List<CostCenter>> ListAllAsync(ListCostCentersRequest filter)
    {
        var (costCenters, _) = await Pages.AllAsync<CostCenter>(async token =>
        {
            var page = await CostCenters.ListCostCentersAsync(new ListCostCentersRequest(filter) { PageToken = token });
            return (page.CostCenters, page.NextPageToken);
        });
        return costCenters;
    }

    [Fact]
    public async Task CreateGetUpdateDelete_ThroughTheSidecar()
    {
        var company = NewCompany();
        var id = $"{company}-4010";

        var created = await CreateAsync(Surgery(company), id);
        var read = await CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = created.Name });
        var updated = await CostCenters.UpdateCostCenterAsync(new UpdateCostCenterRequest
        {
            CostCenter = new CostCenter { Name = created.Name, Etag = read.Etag, DisplayName = "Surgical Services", Manager = "employees/e-1001", State = CostCenterState.Inactive },
            UpdateMask = new FieldMask { Paths = { "display_name", "manager", "state" } },
        });
        var stale = await RefusedAsync(() => CostCenters.UpdateCostCenterAsync(new UpdateCostCenterRequest
        {
            CostCenter = new CostCenter { Name = created.Name, Etag = read.Etag, Department = "lost update" },
            UpdateMask = new FieldMask { Paths = { "department" } },
        }));
        var staleDelete = await RefusedAsync(() => CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = created.Name, Etag = read.Etag }));
        await CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = created.Name, Etag = updated.Etag });
        var gone = await RefusedAsync(() => CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = created.Name }));

        Assert.Equal($"costCenters/{id}", created.Name);
        Assert.Equal(CostCenterState.Active, created.State);
        Assert.Equal(created.CreateTime, created.UpdateTime);
        Assert.Equal("Surgical Services", updated.DisplayName);
        Assert.Equal("employees/e-1001", updated.Manager);
        Assert.Equal(CostCenterState.Inactive, updated.State);
        Assert.Equal(("4010", company, "Perioperative Services"), (updated.Code, updated.CompanyCode, updated.Department));
        Assert.NotEqual(read.Etag, updated.Etag);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.Aborted, staleDelete.StatusCode);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Create_SameRequestIdTwice_CreatesOnce()
    {
        var company = NewCompany();
        var requestId = Guid.NewGuid().ToString();

        // The retry carries the same code: it must get the first result, not trip over the first one's code.
        var first = await CreateAsync(Surgery(company), requestId: requestId);
        var retry = await CreateAsync(Surgery(company), requestId: requestId);
        var inCompany = await ListAllAsync(new ListCostCentersRequest { CompanyCode = company });

        Assert.Equal(first.Name, retry.Name);
        Assert.Equal(first.CreateTime, retry.CreateTime);
        Assert.Equal(first.Name, Assert.Single(inCompany).Name);
    }

    [Fact]
    public async Task DuplicateCode_IsAlreadyExists_WithinItsCompanyOnly()
    {
        var company = NewCompany();
        var first = await CreateAsync(Surgery(company));

        var duplicate = await RefusedAsync(() => CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest { CostCenter = new CostCenter(Surgery(company)) { DisplayName = "Main OR again" } }));
        var otherCompany = await CreateAsync(Surgery(NewCompany()));
        var otherCode = await CreateAsync(Surgery(company, "4020"));
        await CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = first.Name });
        var again = await CreateAsync(Surgery(company));

        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        Assert.Contains("cost_center.code '4010'", duplicate.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(first.Name, duplicate.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("4010", otherCompany.Code);
        Assert.Equal("4020", otherCode.Code);
        Assert.NotEqual(first.Name, again.Name);
        Assert.Equal(new[] { again.Name, otherCode.Name }.Order(), (await ListAllAsync(new ListCostCentersRequest { CompanyCode = company })).Select(c => c.Name).Order());
    }

    [Fact]
    public async Task Delete_WhileALocationIsChargedToIt_IsFailedPrecondition_AfterwardsItGoes()
    {
        var company = NewCompany();
        var (used, other) = (await CreateAsync(Surgery(company)), await CreateAsync(Surgery(company, "4020")));
        var ward = await fixture.Locations.CreateLocationAsync(new CreateLocationRequest
        {
            Location = new Location { DisplayName = "Ward 4 supply room", Type = LocationType.Storeroom, Facility = $"fac-{company}", CostCenter = used.Name },
        });

        var refused = await RefusedAsync(() => CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = used.Name }));
        await fixture.Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = ward.Name, CostCenter = other.Name },
            UpdateMask = new FieldMask { Paths = { "cost_center" } },
        });
        await CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = used.Name });
        var gone = await RefusedAsync(() => CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = used.Name }));

        Assert.Equal(
            (StatusCode.FailedPrecondition, $"{ward.Name} is charged to {used.Name}; move it to another cost center first, or make {used.Name} inactive"),
            (refused.StatusCode, refused.Status.Detail));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task RacingCreates_OfOneCode_ExactlyOneWins()
    {
        var company = NewCompany();

        async Task<(CostCenter? Created, StatusCode Status)> RaceAsync(int racer)
        {
            try
            {
                return (await CreateAsync(new CostCenter(Surgery(company)) { DisplayName = $"Racer {racer}" }), StatusCode.OK);
            }
            catch (RpcException e)
            {
                return (null, e.StatusCode);
            }
        }

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(RaceAsync));
        var stored = await ListAllAsync(new ListCostCentersRequest { CompanyCode = company, Code = "4010" });

        var winner = Assert.Single(outcomes, o => o.Created is not null).Created!;
        Assert.All(outcomes.Where(o => o.Created is null), o => Assert.Equal(StatusCode.AlreadyExists, o.Status));
        Assert.Equal(winner.Name, Assert.Single(stored).Name);
    }

    [Fact]
    public async Task BadInput_NamesTheField()
    {
        var company = NewCompany();
        var existing = await CreateAsync(Surgery(company));

        var noCode = await RefusedAsync(() => CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest { CostCenter = Surgery(company, "") }));
        var noName = await RefusedAsync(() => CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest { CostCenter = new CostCenter(Surgery(company)) { DisplayName = "" } }));
        var noCompany = await RefusedAsync(() => CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest { CostCenter = Surgery("") }));
        var badName = await RefusedAsync(() => CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = "cost-centers/4010" }));
        var codeMask = await RefusedAsync(() => CostCenters.UpdateCostCenterAsync(new UpdateCostCenterRequest
        {
            CostCenter = new CostCenter { Name = existing.Name, Code = "4020" },
            UpdateMask = new FieldMask { Paths = { "code" } },
        }));
        var noMask = await RefusedAsync(() => CostCenters.UpdateCostCenterAsync(new UpdateCostCenterRequest { CostCenter = new CostCenter { Name = existing.Name, DisplayName = "x" } }));

        Assert.All([noCode, noName, noCompany, badName, codeMask, noMask], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("cost_center.code", noCode.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cost_center.display_name", noName.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cost_center.company_code", noCompany.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("costCenters/{id}", badName.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'code'", codeMask.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("update_mask", noMask.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("4010", (await CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = existing.Name })).Code);
    }

    [Fact]
    public async Task ListCostCenters_FiltersAndPages()
    {
        var company = NewCompany();
        var created = new List<CostCenter>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await CreateAsync(new CostCenter(Surgery(company, $"40{i}0"))
            {
                State = i < 2 ? CostCenterState.Inactive : CostCenterState.Unspecified,
                Manager = i % 2 == 0 ? "employees/e-7" : "",
            }));
        }

        await CreateAsync(Surgery(NewCompany(), "4000"));

        var (all, pages) = await Pages.AllAsync<CostCenter>(async token =>
        {
            var page = await CostCenters.ListCostCentersAsync(new ListCostCentersRequest { CompanyCode = company, PageSize = 2, PageToken = token });
            return (page.CostCenters, page.NextPageToken);
        });
        var inactive = await ListAllAsync(new ListCostCentersRequest { CompanyCode = company, State = CostCenterState.Inactive, PageSize = 1 });
        var byCode = await ListAllAsync(new ListCostCentersRequest { CompanyCode = company, Code = "4030" });
        var byManager = await ListAllAsync(new ListCostCentersRequest { CompanyCode = company, Manager = "employees/e-7", PageSize = 2 });

        Assert.Equal(created.Select(c => c.Name).Order(), all.Select(c => c.Name).Order());
        Assert.True(pages >= 3, $"5 cost centers at 2 a page came in {pages} page(s)");
        Assert.Equal(created.Take(2).Select(c => c.Name).Order(), inactive.Select(c => c.Name).Order());
        Assert.Equal([created[3].Name], byCode.Select(c => c.Name));
        Assert.Equal(new[] { created[0], created[2], created[4] }.Select(c => c.Name).Order(), byManager.Select(c => c.Name).Order());
    }
}
