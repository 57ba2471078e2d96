namespace Mesh.Ingest.Mapping;

/// <summary>
/// <c>Mesh.Ingest check-mappings [--mappings DIR] [--descriptor-set FILE]</c>: checks every mapping file against
/// the contracts compiled into this app or, given a descriptor set (a registry version, or <c>buf build -o</c>),
/// against that. Exit 0 when every mapping fits, 1 with one "file:line: problem" line each, 2 when it cannot run.
/// </summary>
public static class MappingCheckCommand
{
    /// <summary>Runs the check.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Mappings");
        string? descriptorSet = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--mappings" when i + 1 < args.Length:
                    folder = args[++i];
                    break;
                case "--descriptor-set" when i + 1 < args.Length:
                    descriptorSet = args[++i];
                    break;
                default:
                    error.WriteLine($"check-mappings: unknown argument '{args[i]}'; usage: check-mappings [--mappings DIR] [--descriptor-set FILE]");
                    return 2;
            }
        }

        try
        {
            var mappings = MappingLoader.LoadFolder(folder, Path.Combine(folder, "routes.yaml"));
            var find = descriptorSet is null ? CanonicalFields.CompiledMessage : MappingCheck.FromDescriptorSet(File.ReadAllBytes(descriptorSet));
            var problems = MappingCheck.Check(mappings.Values, find);
            foreach (var problem in problems)
            {
                output.WriteLine(problem);
            }

            output.WriteLine(problems.Count == 0
                ? $"check-mappings: {mappings.Count} mappings fit the contracts"
                : $"check-mappings: {problems.Count} problems in {mappings.Count} mappings");
            return problems.Count == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is MappingFileException or IOException or UnauthorizedAccessException or Google.Protobuf.InvalidProtocolBufferException or ArgumentException)
        {
            error.WriteLine($"check-mappings: {e.Message}");
            return 2;
        }
    }
}
