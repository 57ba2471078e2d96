using System.Net;
using System.Text;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Ingest.Tests.Csv;

/// <summary>Catalog and price files (CSV) into the real master data, uploaded or dropped in the watched folder.</summary>
[Collection(IngestCollection.Name)]
public sealed class CatalogImportTests(IngestMesh mesh)
{
    private const string Header = "description,manufacturer,manufacturer_part_number,gtin,stocking_unit,category,chargeable,charge_code,charge_price,standard_cost,currency";

    [Fact]
    public async Task CatalogUpload_NewExistingAndBadRows_GivesARowLevelResultAndASecondUploadCreatesNothing()
    {
        var seeded = await mesh.SharedAsync();
        var run = Run();
        var csv = string.Join("\r\n",
            Header,
            $"Hemostatic clip applicator,Mesh Demo Medical,HC-{run},,EA,billable-supplies,Y,272-{run},180.00,36.50,USD",
            $"Exam gloves (catalog name),Mesh Demo Medical,,{seeded.Items[2].Gtin},BX,floor-stock,N,,,7.10,USD",
            $",Mesh Demo Medical,NODESC-{run},,EA,floor-stock,N,,,1.00,USD",
            $"Billable without a price,Mesh Demo Medical,NOPRICE-{run},,EA,billable-supplies,Y,272-X{run},,2.00,USD",
            $"\"Gauze \"\"4x4\"\",\nsterile, 10 pack\",Mesh Demo Medical,GZ-{run},,PK,floor-stock,N,,,0.95,USD",
            $"Bad price,Mesh Demo Medical,BAD-{run},,EA,billable-supplies,Y,272-B{run},a lot,1.00,USD") + "\r\n";

        var (status, rows) = await UploadAsync("items", csv);
        var (_, again) = await UploadAsync("items", csv);
        var created = (await mesh.Clients.Items.ListItemsAsync(new ListItemsRequest { ChargeCode = $"272-{run}" })).Items;
        var gloves = await mesh.Clients.Items.GetItemAsync(new GetItemRequest { Name = seeded.Items[2].Name });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["1,2,accepted", "2,3,updated", "3,4,rejected", "4,5,rejected", "5,6,accepted", "6,8,rejected"], rows.Select(r => string.Join(',', r[..3])));
        Assert.Equal(created.Single().Name, rows[0][3]);
        Assert.Equal(seeded.Items[2].Name, rows[1][3]);
        Assert.Contains("standard_cost", rows[1][4], StringComparison.Ordinal);
        Assert.Equal("description: description is required, and the message has no value there", rows[2][4]);
        Assert.Contains("item.charge_price is required when item.chargeable is true", rows[3][4], StringComparison.Ordinal);
        Assert.Equal("charge_price must be an amount of money (digits with an optional decimal point)", rows[5][4]);
        Assert.Equal(7.10m, gloves.StandardCost.ToDecimal());
        Assert.Equal(["unchanged", "unchanged", "rejected", "rejected", "unchanged", "rejected"], again.Select(r => r[2]));
    }

    [Fact]
    public async Task CatalogUpload_MissingColumns_Is422NamingThem()
    {
        var (status, rows) = await UploadAsync("items", "description,manufacturer\r\nA thing,Acme\r\n");

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal(["0", "1", "rejected", "", "missing required column: stocking_unit (mapping csv.items@1)"], Assert.Single(rows));
    }

    [Fact]
    public async Task CatalogUpload_InvalidUtf8_RejectsOnlyTheRowsItIsIn()
    {
        var run = Run();
        var bytes = Encoding.UTF8.GetBytes($"{Header}\r\nGood row,Acme,OK-{run},,EA,floor-stock,N,,,1.00,USD\r\nLatin1 caf")
            .Concat(new byte[] { 0xE9 })
            .Concat(Encoding.UTF8.GetBytes($" sponge,Acme,L1-{run},,EA,floor-stock,N,,,1.00,USD\r\n")).ToArray();

        var (status, rows) = await UploadAsync("items", bytes);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("accepted", rows[0][2]);
        Assert.Equal(["2", "3", "rejected", "", "column description is not valid UTF-8; save the file as UTF-8"], rows[1]);
    }

    [Fact]
    public async Task CatalogUpload_UnknownKind_Is422()
    {
        var (status, rows) = await UploadAsync("contracts", "a,b\r\n1,2\r\n");

        Assert.Equal((HttpStatusCode)422, status);
        Assert.StartsWith("no route takes contracts files", Assert.Single(rows)[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PriceFile_UpdatesTheMatchingItemsCost_AndRejectsPartsNoItemHas()
    {
        var seeded = await mesh.SharedAsync();
        var run = Run();
        var supplier = await mesh.Suppliers.CreateSupplierAsync(new CreateSupplierRequest
        {
            SupplierId = $"{run}-sup",
            Supplier = new Supplier { DisplayName = $"Supplier {run}", LegalName = $"Supplier {run} LLC", ExternalIds = { new ExternalId { System = "erp", Value = $"V-{run}" } } },
        });
        var item = seeded.Items[1].Clone();
        item.SupplierPartNumbers.Add(new SupplierPartNumber { Supplier = supplier.Name, PartNumber = $"P-{run}", Unit = "EA" });
        await mesh.Clients.Items.UpdateItemAsync(new UpdateItemRequest { Item = item, UpdateMask = new() { Paths = { "supplier_part_numbers" } } });
        var csv = $"supplier,part_number,unit,price,currency\r\nV-{run},P-{run},EA,4.45,USD\r\nV-{run},NOPE-{run},EA,1.00,USD\r\nNOSUCH-{run},P-{run},EA,1.00,USD\r\n";

        var (status, rows) = await UploadAsync("prices", csv);
        var updated = await mesh.Clients.Items.GetItemAsync(new GetItemRequest { Name = seeded.Items[1].Name });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["updated", "rejected", "rejected"], rows.Select(r => r[2]));
        Assert.Equal(4.45m, updated.StandardCost.ToDecimal());
        Assert.Contains("price files update items", rows[1][4], StringComparison.Ordinal);
        Assert.Contains("supplier: no supplier in master data has this code", rows[2][4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inbox_DroppedFile_IsImportedMovedAndGetsItsResultFile()
    {
        var run = Run();
        var name = $"items-{run}.csv";
        await File.WriteAllTextAsync(Path.Combine(mesh.Inbox, name), $"{Header}\r\nDropped item,Acme,DROP-{run},,EA,floor-stock,N,,,3.00,USD\r\n");
        var unknown = $"contracts-{run}.csv";
        await File.WriteAllTextAsync(Path.Combine(mesh.Inbox, unknown), "a,b\r\n");

        var result = await WaitForFileAsync(Path.Combine(mesh.Inbox, "results", $"{name}.result.csv"));
        var refused = await WaitForFileAsync(Path.Combine(mesh.Inbox, "results", $"{unknown}.result.csv"));

        Assert.Contains(",accepted,items/", result, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(mesh.Inbox, "processed", name)));
        Assert.False(File.Exists(Path.Combine(mesh.Inbox, name)));
        Assert.Contains("does not start with a kind of file taken", refused, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(mesh.Inbox, "rejected", unknown)));
    }

    private Task<(HttpStatusCode Status, List<string[]> Rows)> UploadAsync(string kind, string csv) => UploadAsync(kind, Encoding.UTF8.GetBytes(csv));

    private async Task<(HttpStatusCode Status, List<string[]> Rows)> UploadAsync(string kind, byte[] csv)
    {
        using var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new("text/csv");
        using var response = await mesh.Http.PostAsync($"catalog/{kind}", content);
        var text = await response.Content.ReadAsStringAsync();
        using var reader = CsvHelper.CsvReader.FromText(text);
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i) ?? "")]);
        }

        return (response.StatusCode, rows);
    }

    // Waits for the inbox to write a file (it polls every 200 ms), up to a minute.
    private static async Task<string> WaitForFileAsync(string path)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (File.Exists(path))
            {
                try
                {
                    return await File.ReadAllTextAsync(path);
                }
                catch (IOException)
                {
                    // Still being written.
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{path} was not written");
    }

    private static string Run() => $"c{Guid.NewGuid():N}"[..9];
}
