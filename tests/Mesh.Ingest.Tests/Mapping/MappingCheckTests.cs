using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Inventory.V1;
using Mesh.Ingest.Mapping;

namespace Mesh.Ingest.Tests.Mapping;

public sealed class MappingCheckTests
{
    private static string MappingsFolder => Path.Combine(AppContext.BaseDirectory, "Mappings");

    private static IReadOnlyDictionary<string, MappingDefinition> Shipped => MappingLoader.LoadFolder(MappingsFolder, Path.Combine(MappingsFolder, "routes.yaml"));

    [Fact]
    public void Check_ShippedMappingsAgainstTheCompiledContracts_FindsNoProblem()
    {
        var problems = MappingCheck.Check(Shipped.Values, CanonicalFields.CompiledMessage);

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.Equal(6, Shipped.Count);
    }

    [Fact]
    public void Check_ContractWithARenamedAndARetypedField_NamesEachBrokenMappingLine()
    {
        // mesh.inventory.v1 as it would be after a breaking change: location renamed, quantity made a string.
        var set = DescriptorSetOf(ItemConsumed.Descriptor.File, proto =>
        {
            var consumed = proto.MessageType.Single(m => m.Name == "ItemConsumed");
            consumed.Field.Single(f => f.Name == "location").Name = "stock_location";
            var quantity = consumed.Field.Single(f => f.Name == "quantity");
            quantity.Type = FieldDescriptorProto.Types.Type.String;
            quantity.ClearTypeName();
        });
        var dft = Shipped["hl7v2.dft_p03@1"];

        var problems = MappingCheck.Check([dft], MappingCheck.FromDescriptorSet(set));

        var lines = File.ReadAllLines(dft.File);
        var locationLine = Array.FindIndex(lines, l => l.TrimStart().StartsWith("location:", StringComparison.Ordinal)) + 1;
        var quantityLine = Array.FindIndex(lines, l => l.TrimStart().StartsWith("quantity:", StringComparison.Ordinal)) + 1;
        Assert.Equal(2, problems.Count);
        Assert.Equal($"{dft.File}:{locationLine}: location: mesh.inventory.v1.ItemConsumed has no field 'location'", problems[0]);
        Assert.Equal($"{dft.File}:{quantityLine}: quantity is string in mesh.inventory.v1, but the mapping declares mesh.type.v1.Quantity", problems[1]);
    }

    [Fact]
    public void Check_MappingWhoseConversionDoesNotGiveTheFieldsType_IsFlagged()
    {
        var mapping = MappingLoader.Parse("""
            mapping: t
            version: 1
            source: { format: csv, messageTypes: [items] }
            produces: { subject: mesh.masterdata.v1, subjectVersion: 1, message: mesh.masterdata.v1.Item }
            fields:
              description: { type: string, from: description, convert: bool }
              gtin: { type: string, from: gtin }
              nothing: { type: string, from: x }
            """, "test.yaml");

        var problems = MappingCheck.Check([mapping], CanonicalFields.CompiledMessage);

        Assert.Equal(["test.yaml:6: description is string, but convert bool gives bool", "test.yaml:8: nothing: mesh.masterdata.v1.Item has no field 'nothing'"], problems);
    }

    [Fact]
    public void Check_MessageTheSubjectNoLongerHas_NamesTheProducesLine()
    {
        var mapping = MappingLoader.Parse("""
            mapping: t
            version: 1
            source: { format: csv, messageTypes: [items] }
            produces:
              subject: mesh.masterdata.v1
              subjectVersion: 2
              message: mesh.masterdata.v1.CatalogItem
            fields:
              description: { type: string, from: description }
            """, "gone.yaml");

        Assert.Equal(["gone.yaml:7: t@1 produces mesh.masterdata.v1.CatalogItem, which the mesh.masterdata.v1 contract does not have"], MappingCheck.Check([mapping], CanonicalFields.CompiledMessage));
    }

    [Fact]
    public void CheckCommand_OnTheShippedMappings_ExitsZero()
    {
        var output = new StringWriter();

        var exit = MappingCheckCommand.Run([], output, new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains("6 mappings fit the contracts", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CheckCommand_WithABrokenDescriptorSet_ExitsOneAndPrintsFileAndLine()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, DescriptorSetOf(ItemConsumed.Descriptor.File, proto =>
                proto.MessageType.Single(m => m.Name == "ItemConsumed").Field.Single(f => f.Name == "cost_center").Name = "cost_centre"));
            var output = new StringWriter();

            var exit = MappingCheckCommand.Run(["--descriptor-set", file], output, new StringWriter());

            Assert.Equal(1, exit);
            Assert.Matches(@"dft_p03\.v1\.yaml:\d+: cost_center: mesh\.inventory\.v1\.ItemConsumed has no field 'cost_center'", output.ToString());
            Assert.Matches(@"chargeitem\.v1\.yaml:\d+: cost_center", output.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("mapping: t\nversion: 1\nsource: { format: hl7v2, messageTypes: [X], colour: red }\nproduces: { subject: s, subjectVersion: 1, message: m }\nfields: {}\n", 3, "'colour' is not a setting here")]
    [InlineData("mapping: t\nversion: 1\nsource: { format: hl7v2, messageTypes: [X] }\nproduces: { subject: s, subjectVersion: 1, message: m }\nfields:\n  item: { type: string, from: FT1-7-1 }\n", 6, "'FT1-7-1' is not an HL7 path")]
    [InlineData("mapping: t\nversion: 1\nsource: { format: fhir, messageTypes: [X] }\nproduces: { subject: s, subjectVersion: 1, message: m }\nfields:\n  item: { type: string, from: \"code.coding.where(\" }\n", 6, "is not a FHIRPath expression")]
    [InlineData("mapping: t\nversion: 1\nsource: { format: csv, messageTypes: [X] }\nproduces: { subject: s, subjectVersion: 1, message: m }\nfields:\n  item: { type: string, from: a, lookup: patient }\n", 6, "lookup 'patient' is not one of")]
    [InlineData("mapping: t\nversion: x\nsource: { format: csv, messageTypes: [X] }\nproduces: { subject: s, subjectVersion: 1, message: m }\nfields: {}\n", 2, "'version' must be a positive whole number")]
    [InlineData("mapping: t\nversion: 1\nsource: { format: x12, messageTypes: [X] }\nproduces: { subject: s, subjectVersion: 1, message: m }\nfields: {}\n", 3, "source.format 'x12' is not one of")]
    public void Parse_UnsupportedSettings_AreRefusedWithFileAndLine(string yaml, int line, string expected)
    {
        var error = Assert.Throws<MappingFileException>(() => MappingLoader.Parse(yaml, "bad.yaml"));

        Assert.Equal(line, error.Line);
        Assert.StartsWith($"bad.yaml:{line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static byte[] DescriptorSetOf(FileDescriptor changed, Action<FileDescriptorProto> change)
    {
        var files = new List<FileDescriptor>();
        void Add(FileDescriptor file)
        {
            foreach (var dependency in file.Dependencies)
            {
                Add(dependency);
            }

            if (!files.Contains(file))
            {
                files.Add(file);
            }
        }

        Add(changed);
        var set = new FileDescriptorSet();
        foreach (var file in files)
        {
            var proto = FileDescriptorProto.Parser.ParseFrom(file.SerializedData);
            if (file == changed)
            {
                change(proto);
            }

            set.File.Add(proto);
        }

        return set.ToByteArray();
    }
}
