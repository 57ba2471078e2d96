using System.Reflection;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Classification;

/// <summary>
/// The Mesh contracts compiled into this assembly, read from their descriptors: files, messages,
/// services, owners and event taxonomy.
/// </summary>
public static class ContractCatalog
{
    private static readonly Lazy<IReadOnlyList<FileDescriptor>> LazyFiles = new(LoadFiles);

    /// <summary>Every <c>mesh/**.proto</c> file of this assembly, ordered by name.</summary>
    public static IReadOnlyList<FileDescriptor> Files => LazyFiles.Value;

    /// <summary>Every message type, nested ones included, of every Mesh file.</summary>
    public static IEnumerable<MessageDescriptor> Messages =>
        Files.SelectMany(f => f.MessageTypes).SelectMany(Flatten);

    /// <summary>Every message marked as an event with <c>mesh.options.v1.event</c>.</summary>
    public static IEnumerable<MessageDescriptor> Events => Messages.Where(m => EventTaxonomyOf(m) is not null);

    /// <summary>Every service of every Mesh file.</summary>
    public static IEnumerable<ServiceDescriptor> Services => Files.SelectMany(f => f.Services);

    /// <summary>The event taxonomy of a message, or null when it is not an event.</summary>
    public static EventTaxonomy? EventTaxonomyOf(MessageDescriptor message)
    {
        var options = message.GetOptions();
        return options is not null && options.HasExtension(OptionsExtensions.Event)
            ? options.GetExtension(OptionsExtensions.Event)
            : null;
    }

    /// <summary>
    /// The pub/sub topic of an event, "{domain}.{entity}.{action}" from its taxonomy, so publishers and
    /// subscribers agree on it without a table; throws for a message that is not an event.
    /// </summary>
    public static string TopicOf(MessageDescriptor message) =>
        EventTaxonomyOf(message) is { } taxonomy
            ? $"{taxonomy.Domain}.{taxonomy.Entity}.{taxonomy.Action}"
            : throw new ArgumentException($"{message.FullName} is not an event (it has no mesh.options.v1.event option)", nameof(message));

    /// <summary>The owning team of a file, or null when none is declared.</summary>
    public static Ownership? OwnerOf(FileDescriptor file)
    {
        var options = file.GetOptions();
        return options is not null && options.HasExtension(OptionsExtensions.FileOwner)
            ? options.GetExtension(OptionsExtensions.FileOwner)
            : null;
    }

    /// <summary>The owning team of a service, falling back to its file's owner.</summary>
    public static Ownership? OwnerOf(ServiceDescriptor service)
    {
        var options = service.GetOptions();
        return options is not null && options.HasExtension(OptionsExtensions.ServiceOwner)
            ? options.GetExtension(OptionsExtensions.ServiceOwner)
            : OwnerOf(service.File);
    }

    private static IEnumerable<MessageDescriptor> Flatten(MessageDescriptor message) =>
        message.NestedTypes.SelectMany(Flatten).Prepend(message);

    private static IReadOnlyList<FileDescriptor> LoadFiles() =>
        // Grpc.Tools emits one static "XxxReflection" class per file with a Descriptor property.
        typeof(ContractCatalog).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsAbstract && t.IsSealed && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<FileDescriptor>()
            .Where(f => f.Name.StartsWith("mesh/", StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
}
