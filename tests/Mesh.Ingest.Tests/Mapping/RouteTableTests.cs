using Mesh.Ingest.Mapping;
using Mesh.Ingest.Routing;

namespace Mesh.Ingest.Tests.Mapping;

public sealed class RouteTableTests
{
    private static string Shipped => Path.Combine(AppContext.BaseDirectory, "Mappings");

    [Fact]
    public void Load_ShippedRoutes_PharmacyLinesAreIgnoredAndOtherDftLinesMapped()
    {
        var table = RouteTable.Load(Shipped, Path.Combine(Shipped, "routes.yaml"));

        var candidates = table.Candidates("hl7v2", "DFT^P03", "MAIN");

        Assert.Equal("ignore", candidates.First(r => r.MatchesDepartment("PHARM-2")).Flow);
        Assert.Equal("hl7v2.dft_p03@1", candidates.First(r => r.MatchesDepartment("OR3")).Mapping!.Key);
        Assert.Empty(table.Candidates("hl7v2", "ADT^A28", "MAIN"));
        Assert.Empty(table.Candidates("hl7v2", "OML^O21", "MAIN"));
        Assert.Equal("encounter-context", table.Candidates("hl7v2", "ADT^A03", "MAIN").Single().Flow);
    }

    [Theory]
    [InlineData("routes:\n  - name: a\n    format: hl7v2\n    messageType: DFT^P03\n    flow: teleport\n", 5, "flow 'teleport' is not one of")]
    [InlineData("routes:\n  - name: a\n    format: hl7v2\n    messageType: DFT^P03\n    mapping: hl7v2.dft_p03@9\n    flow: inventory-to-charge\n", 5, "mapping 'hl7v2.dft_p03@9' is not in")]
    [InlineData("routes:\n  - name: a\n    format: hl7v2\n    messageType: ADT^A01\n    mapping: hl7v2.adt_encounter@1\n    flow: inventory-to-charge\n", 5, "produces mesh.ingest.v1.EncounterContext, but flow inventory-to-charge takes mesh.inventory.v1.ItemConsumed")]
    [InlineData("routes:\n  - name: a\n    format: hl7v2\n    messageType: DFT^P03\n    priority: 1\n    flow: ignore\n", 5, "'priority' is not a setting here")]
    public void Load_RoutesFileBreakingARule_IsRefusedWithFileAndLine(string yaml, int line, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"routes-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            var error = Assert.Throws<MappingFileException>(() => RouteTable.Load(Shipped, file));

            Assert.StartsWith($"{file}:{line}:", error.Message, StringComparison.Ordinal);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
