using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Classification;

namespace Mesh.Contracts.Tests;

public class RoundTripTests
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithFormatDefaultValues(true)
        .WithTypeRegistry(TypeRegistry.FromMessages(StringValue.Descriptor)));

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default
        .WithTypeRegistry(TypeRegistry.FromMessages(StringValue.Descriptor)));

    public static TheoryData<string> AllMessages()
    {
        var data = new TheoryData<string>();
        foreach (var message in ContractCatalog.Messages.Where(m => !m.IsMapEntry()))
        {
            data.Add(message.FullName);
        }

        return data;
    }

    [Fact]
    public void Catalog_HasEveryDomainPackage()
    {
        var packages = ContractCatalog.Files.Select(f => f.Package).ToHashSet();

        Assert.Superset(
            new HashSet<string>
            {
                "mesh.options.v1", "mesh.type.v1", "mesh.masterdata.v1", "mesh.workforce.v1", "mesh.contracting.v1",
                "mesh.charges.v1", "mesh.procurement.v1", "mesh.inventory.v1", "mesh.finance.v1",
            },
            packages);
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Message_RoundTripsThroughBinary_Unchanged(string fullName)
    {
        var descriptor = Find(fullName);
        var original = MessageFactory.Populated(descriptor);

        var bytes = original.ToByteArray();
        var parsed = descriptor.Parser.ParseFrom(bytes);

        Assert.NotEmpty(bytes);
        Assert.Equal(original, parsed);
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Message_RoundTripsThroughJson_Unchanged(string fullName)
    {
        var descriptor = Find(fullName);
        var original = MessageFactory.Populated(descriptor);

        var json = Formatter.Format(original);
        var parsed = Parser.Parse(json, descriptor);

        Assert.Equal(original, parsed);
        Assert.Equal(json, Formatter.Format(parsed));
    }

    private static MessageDescriptor Find(string fullName) =>
        ContractCatalog.Messages.Single(m => m.FullName == fullName);
}

internal static class DescriptorExtensions
{
    public static bool IsMapEntry(this MessageDescriptor descriptor) => descriptor.GetOptions()?.MapEntry ?? false;
}
